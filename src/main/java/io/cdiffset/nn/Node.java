package io.cdiffset.nn;

/** A parameter-free grouping node with arbitrary child names (e.g. {@code ff.net.0} / {@code ff.net.2}). */
public final class Node extends Module {
    public <M extends Module> M add(String name, M m) {
        return child(name, m);
    }
}
