package io.cdiffset.translate;

import java.io.IOException;

/** Receives the translated scene from {@link SceneTranslator} band by band, top to bottom, each row exactly once. */
@FunctionalInterface
public interface RowSink {
    /**
     * Rows {@code [y, y+rows)} of the result, cropped to the input's width {@code W}.
     *
     * @param eo         EO in [0,1], channel-major: {@code eo[c*rows*W + r*W + x]}, 3 channels
     * @param confidence confidence 1/σ² (not normalised), {@code confidence[r*W + x]}; null if the model has no
     *                   variance head
     */
    void rows(int y, int rows, float[] eo, float[] confidence) throws IOException;
}
