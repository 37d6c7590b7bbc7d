package io.cdiffset.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A deliberately tiny pickle interpreter for the data that {@code torch.save} writes, with the allow-list of
 * {@code torch.load(weights_only=True)}: it rebuilds dicts (also {@code collections.OrderedDict}), lists, tuples,
 * str / bytes / int / float / bool / None, {@code torch.Size} and tensors ({@code torch._utils._rebuild_tensor_v2},
 * {@code _rebuild_tensor}, {@code _rebuild_parameter[_with_state]}) over storages named by persistent ids. Tensors come back as
 * {@link TensorRef}s (storage key, dtype, offset, shape, strides): no data is touched here.
 *
 * <p>Why our own: Python's pickle is a program, and any {@code GLOBAL} can name a function that {@code REDUCE} then
 * calls ({@code os.system} …). Here a global outside the allow-list ends the read at once with a one-line
 * {@link WeightsException} naming it; nothing from the file is ever looked up as Java code or executed.
 *
 * <p>Resources are bounded by the input: every length is checked against the bytes left, memo and stack only grow by
 * one entry per opcode, and dict keys must be plain scalars (no hashing of self-referencing containers).
 */
public final class TorchPickle {
    /**
     * A typed storage from a persistent id: {@code key} names its bytes in the checkpoint, {@code dtype} as
     * safetensors spells it; {@code numel} elements starting at element {@code base} of the key's data (legacy views).
     */
    public record StorageRef(String key, String dtype, long numel, long base) {}

    /** A tensor over a storage: element offset, shape and strides as torch saved them (may be a non-contiguous view). */
    public record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    /** A global the allow-list admits; the only callables a pickle can reach. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** Tuples are immutable lists (distinguished from lists only where torch's calling conventions need it). */
    private static List<Object> tuple(List<Object> items) {
        return Collections.unmodifiableList(items);
    }

    /** Storage classes of persistent ids → safetensors dtype names. */
    static final Map<String, String> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", "F32"), Map.entry("HalfStorage", "F16"), Map.entry("BFloat16Storage", "BF16"),
            Map.entry("DoubleStorage", "F64"), Map.entry("LongStorage", "I64"), Map.entry("IntStorage", "I32"),
            Map.entry("ShortStorage", "I16"), Map.entry("CharStorage", "I8"), Map.entry("ByteStorage", "U8"),
            Map.entry("BoolStorage", "BOOL"), Map.entry("UntypedStorage", "U8"));

    private static final Set<String> REBUILDERS = Set.of("_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter", "_rebuild_parameter_with_state");

    private static boolean allowed(String module, String name) {
        return switch (module) {
            case "torch._utils" -> REBUILDERS.contains(name);
            case "torch" -> STORAGES.containsKey(name) || name.equals("Size");
            case "torch.storage" -> name.equals("UntypedStorage") || name.equals("TypedStorage");
            case "collections" -> name.equals("OrderedDict");
            default -> false;
        };
    }

    /** Makes a storage from the persistent id tuple {@code ('storage', Global, key, location, numel[, view])}. */
    public interface PersistentLoad extends Function<List<Object>, StorageRef> {}

    private static final Object MARK = new Object();
    /** Largest memo index accepted; real torch pickles use one entry per object. */
    private static final long MAX_MEMO = 1L << 31;

    /** Objects a pickle may create; a state dict of 100k tensors needs about 1.5 million. */
    static final int MAX_OBJECTS = 5_000_000;

    private int pushed;
    private final ByteBuffer in;
    private final String source;
    private final PersistentLoad persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private TorchPickle(ByteBuffer in, String source, PersistentLoad persistent) {
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
        this.persistent = persistent;
    }

    /**
     * Runs one pickle from {@code in}'s position up to its STOP (the buffer is left just after it) and returns the
     * object. Persistent ids go to {@code persistent} (null: a pickle holding one is refused).
     *
     * @throws WeightsException one line naming {@code source}: a refused global, or corrupt / truncated data
     */
    public static Object load(ByteBuffer in, String source, PersistentLoad persistent) {
        TorchPickle p = new TorchPickle(in, source, persistent);
        int start = in.position();
        try {
            return p.run();
        } catch (WeightsException e) {
            throw e;
        } catch (RuntimeException e) {
            // BufferUnderflow, ClassCast, IndexOutOfBounds ...: the bytes are not a well-formed torch pickle
            throw new WeightsException(source + ": the pickle data is corrupt or truncated (at byte " + (in.position() - start)
                    + ": " + e.getClass().getSimpleName() + "); the file is damaged or not a torch.save checkpoint");
        }
    }

    private Object run() {
        while (true) {
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = in.get() & 0xff;
                    if (v > 5) throw corrupt("pickle protocol " + v + " is newer than 5");
                }
                case 0x95 -> skip(in.getLong()); // FRAME: length of the next frame; frames are read through
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw corrupt("STOP with " + stack.size() + " objects on the stack");
                    return stack.get(0);
                }
                case '(' -> marks.add(stack.size());
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.getInt());
                case 'K' -> push((long) (in.get() & 0xff));
                case 'M' -> push((long) (in.getShort() & 0xffff));
                case 0x8a -> push(longBytes(in.get() & 0xff));
                case 0x8b -> push(longBytes(length(in.getInt() & 0xffffffffL)));
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                case 'X' -> push(utf8(length(in.getInt() & 0xffffffffL)));
                case 0x8c -> push(utf8(in.get() & 0xff));
                case 0x8d -> push(utf8(length(in.getLong())));
                case 'B' -> push(bytes(length(in.getInt() & 0xffffffffL)));
                case 'C' -> push(bytes(in.get() & 0xff));
                case 0x8e -> push(bytes(length(in.getLong())));
                case 'T' -> push(new String(bytes(length(in.getInt() & 0xffffffffL)), StandardCharsets.ISO_8859_1));
                case 'U' -> push(new String(bytes(in.get() & 0xff), StandardCharsets.ISO_8859_1));
                case '}' -> push(new LinkedHashMap<Object, Object>());
                case ']' -> push(new ArrayList<Object>());
                case ')' -> push(tuple(new ArrayList<>()));
                case 0x8f -> push(new ArrayList<Object>()); // EMPTY_SET: held as a list, never hashed
                case 't' -> push(tuple(popMark()));
                case 0x85 -> push(tuple(listOf(pop())));
                case 0x86 -> {
                    Object b = pop(), a = pop();
                    push(tuple(listOf(a, b)));
                }
                case 0x87 -> {
                    Object c = pop(), b = pop(), a = pop();
                    push(tuple(listOf(a, b, c)));
                }
                case 'l' -> push(new ArrayList<>(popMark()));
                case 0x91 -> push(tuple(popMark())); // FROZENSET
                case 'd' -> {
                    List<Object> items = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    setItems(m, items);
                    push(m);
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e', 0x90 -> { // APPENDS, ADDITEMS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 's' -> {
                    Object v = pop(), k = pop();
                    setItems(dict(peek()), listOf(k, v));
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    setItems(dict(peek()), items);
                }
                case 'q' -> memo(in.get() & 0xff);
                case 'r' -> memo(in.getInt() & 0xffffffffL);
                case 0x94 -> memo(memo.size());
                case 'h' -> push(get(in.get() & 0xff));
                case 'j' -> push(get(in.getInt() & 0xffffffffL));
                case 'c' -> {
                    String module = line(), name = line();
                    push(global(module, name));
                }
                case 0x93 -> {
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw corrupt("STACK_GLOBAL needs two strings");
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop(), fn = pop();
                    push(call(fn, list(args)));
                }
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args)
                    Object args = pop(), cls = pop();
                    push(call(cls, list(args)));
                }
                case 'b' -> { // BUILD: state for OrderedDict (_metadata) or a parameter; carries no weights
                    Object state = pop();
                    Object target = peek();
                    if (!(target instanceof Map) && !(target instanceof TensorRef)) throw corrupt("BUILD on a " + kind(target));
                    if (state != null && !(state instanceof Map) && !(state instanceof List)) throw corrupt("BUILD with a " + kind(state));
                }
                case 'Q' -> { // BINPERSID
                    Object pid = pop();
                    if (persistent == null) throw corrupt("a persistent id where none is expected");
                    push(persistent.apply(list(pid)));
                }
                default -> throw new WeightsException(source + ": refuses to load: pickle opcode 0x" + Integer.toHexString(op)
                        + " at byte " + at + " is not one torch.save writes for weights; re-save it with torch.save(model.state_dict())");
            }
        }
    }

    private Global global(String module, String name) {
        if (!allowed(module, name)) {
            throw new WeightsException(source + ": refuses to load: the pickle calls " + printable(module + "." + name)
                    + " (not a tensor or plain container); only weights are read — re-save it with torch.save(model.state_dict())");
        }
        return new Global(module, name);
    }

    /** REDUCE / NEWOBJ of an allowed global. */
    private Object call(Object fn, List<Object> args) {
        if (!(fn instanceof Global g)) throw corrupt("call of a " + kind(fn) + ", not a global");
        switch (g.module()) {
            case "collections" -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) setItems(m, list(p));
                } else if (!args.isEmpty()) {
                    throw corrupt("OrderedDict with " + args.size() + " arguments");
                }
                return m;
            }
            case "torch._utils" -> {
                if (g.name().startsWith("_rebuild_parameter")) { // (data, requires_grad, hooks[, python state]): the data is the weight
                    if (args.isEmpty() || !(args.get(0) instanceof TensorRef t)) throw corrupt("_rebuild_parameter without a tensor");
                    return t;
                }
                if (args.size() < 4 || !(args.get(0) instanceof StorageRef s)) throw corrupt(g.name() + " without a storage");
                return new TensorRef(s, integer(args.get(1)), dims(args.get(2)), dims(args.get(3)));
            }
            case "torch" -> {
                if (g.name().equals("Size") && args.size() == 1) return tuple(new ArrayList<>(list(args.get(0))));
                throw corrupt("torch." + g.name() + " called with " + args.size() + " arguments");
            }
            default -> throw corrupt(g.qualified() + " is a storage type, not a callable");
        }
    }

    private long[] dims(Object o) {
        List<Object> l = list(o);
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(l.get(i));
            if (out[i] < 0) throw corrupt("negative size or stride " + out[i]);
        }
        return out;
    }

    private long integer(Object o) {
        if (o instanceof Long l) return l;
        throw corrupt("expected a whole number, found a " + kind(o));
    }

    private void setItems(Map<Object, Object> m, List<Object> kv) {
        if (kv.size() % 2 != 0) throw corrupt("odd number of dict items");
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!(k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double || k instanceof BigInteger)) {
                throw corrupt("dict key of type " + kind(k));
            }
            m.put(k, kv.get(i + 1));
        }
    }

    private void memo(long index) {
        if (index >= MAX_MEMO) throw corrupt("memo index " + index);
        memo.put(index, peek());
    }

    private Object get(long index) {
        if (!memo.containsKey(index)) throw corrupt("memo entry " + index + " is used before it is stored");
        return memo.get(index);
    }

    private Object longBytes(int n) {
        if (n == 0) return 0L;
        byte[] le = bytes(n);
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private int length(long n) {
        if (n < 0 || n > in.remaining()) throw corrupt("length " + n + " runs past the end of the pickle (" + in.remaining() + " bytes left)");
        return (int) n;
    }

    private void skip(long n) {
        length(n); // only checked: the frame's opcodes are read as they come
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[length(n)];
        in.get(b);
        return b;
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    /** A text line of GLOBAL (module or name), at most 256 bytes. */
    private String line() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            byte b = in.get();
            if (b == '\n') return sb.toString();
            if (sb.length() >= 256) throw corrupt("GLOBAL name longer than 256 bytes");
            sb.append((char) (b & 0xff));
        }
    }

    private void push(Object o) {
        if (++pushed > MAX_OBJECTS) throw corrupt("more than " + MAX_OBJECTS + " objects");
        stack.add(o);
    }

    private Object pop() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw corrupt("stack underflow");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw corrupt("stack underflow");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw corrupt("no MARK");
        int m = marks.remove(marks.size() - 1);
        List<Object> top = stack.subList(m, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    /** Unlike List.of, holds None (null). */
    private static List<Object> listOf(Object... items) {
        List<Object> l = new ArrayList<>(items.length);
        Collections.addAll(l, items);
        return l;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw corrupt("expected a list or tuple, found a " + kind(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw corrupt("expected a dict, found a " + kind(o));
    }

    /** A name from the file as one short printable line (a crafted one may hold anything). */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 120; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.length() < s.length() ? sb + "…" : sb.toString();
    }

    private static String kind(Object o) {
        if (o == null) return "None";
        if (o instanceof Global g) return "global " + g.qualified();
        return o.getClass().getSimpleName();
    }

    private WeightsException corrupt(String what) {
        return new WeightsException(source + ": the pickle data is corrupt (" + what + " at byte " + in.position()
                + "); the file is damaged or not a torch.save checkpoint");
    }
}
