package io.cdiffset.io;

import io.cdiffset.engine.Tensors;
import io.cdiffset.model.WeightKeys;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The safe PyTorch checkpoint reader against real torch.save files (fixtures/pth, see its README) and hand-made
 * hostile pickles: weights are read exactly, whatever the file is called; anything else is refused in one line
 * naming the global, and nothing is executed.
 */
class TorchCheckpointTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/pth");
    /** The file evil.pth's payload ({@code os.system("touch ...")}) would create. */
    static final Path MARKER = Path.of("/tmp/cdiffset_pwned_a");

    @TempDir
    Path tmp;

    static Map<String, Tensor> expected() {
        return SafeTensors.read(FIXTURE.resolve("expected.safetensors"));
    }

    static void assertSame(Map<String, Tensor> want, Map<String, Tensor> got, String prefix) {
        assertEquals(want.size(), got.size(), "tensor count");
        for (Map.Entry<String, Tensor> e : want.entrySet()) {
            Tensor g = got.get(prefix + e.getKey());
            assertNotNull(g, "missing " + prefix + e.getKey());
            assertEquals(Tensors.dtype(e.getValue()), Tensors.dtype(g), e.getKey());
            assertArrayEquals(Tensors.shape(e.getValue()), Tensors.shape(g), e.getKey());
            if (g.nbytes() > 0) assertEquals(Tensors.bytes(e.getValue().contiguous()), Tensors.bytes(g), e.getKey() + " bytes");
        }
    }

    @Test
    void zipAndLegacyFilesAreReadByContentWhateverTheirName() throws Exception {
        Map<String, Tensor> want = expected();
        for (String[] c : new String[][]{{"state_dict.pth", "weights.bin"}, {"legacy.pth", "weights.ckpt"}, {"state_dict.pth", "no_extension"},
                {"legacy.pth", "model.pt"}}) {
            Path copy = tmp.resolve(c[1]);
            Files.copy(FIXTURE.resolve(c[0]), copy);
            assertSame(want, WeightFiles.read(copy), "");
        }
        try (WeightFile f = WeightFiles.open(FIXTURE.resolve("legacy.pth"))) {
            assertEquals("F32", f.tensors().get("transposed").dtype());
            assertArrayEquals(Tensors.shape(want.get("transposed")), f.tensors().get("transposed").shape());
        }
    }

    @Test
    void ldmStyleCheckpointUnwrapsStateDictAndKeepsOtherValues() {
        Map<String, Tensor> want = expected();
        try (TorchCheckpoint c = TorchCheckpoint.open(FIXTURE.resolve("ldm_style.ckpt"))) {
            Map<?, ?> root = (Map<?, ?>) c.root();
            assertEquals(12345L, root.get("global_step"));
            Map<String, Tensor> got = c.loadAll();
            assertFalse(got.isEmpty());
            for (Map.Entry<String, Tensor> e : got.entrySet()) {
                assertTrue(e.getKey().startsWith("model.diffusion_model."), e.getKey());
                Tensor w = want.get(e.getKey().substring("model.diffusion_model.".length()));
                assertTrue(w.equal(e.getValue()), e.getKey());
            }
        }
    }

    @Test
    void hostileFilesAreRefusedNamingTheGlobalAndNothingRuns() throws Exception {
        Files.deleteIfExists(MARKER);
        WeightsException evil = assertThrows(WeightsException.class, () -> WeightFiles.read(FIXTURE.resolve("evil.pth")));
        assertTrue(evil.getMessage().contains("refuses to load: the pickle calls posix.system "), evil.getMessage());
        assertEquals(1, evil.getMessage().lines().count());
        assertFalse(Files.exists(MARKER), "the payload must not have run");
        WeightsException module = assertThrows(WeightsException.class, () -> WeightFiles.read(FIXTURE.resolve("module_object.pth")));
        assertTrue(module.getMessage().contains("the pickle calls torch.nn.modules.linear.Linear "), module.getMessage());
        assertEquals(1, module.getMessage().lines().count());
    }

    @Test
    void stackGlobalAndProtocolFourCallsAreRefusedToo() throws Exception {
        // protocol 4: builtins.eval via STACK_GLOBAL, called with a string
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(new byte[]{(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, 0});
        shortUnicode(p, "builtins");
        shortUnicode(p, "eval");
        p.write(0x93);
        shortUnicode(p, "__import__('os').system('touch /tmp/cdiffset_pwned_b')");
        p.write(0x85);
        p.write('R');
        p.write('.');
        Path f = tmp.resolve("stack.pth");
        Files.write(f, TorchSaveWriter.zipWithPickle(p.toByteArray(), "stack"));
        WeightsException e = assertThrows(WeightsException.class, () -> WeightFiles.read(f));
        assertTrue(e.getMessage().contains("the pickle calls builtins.eval "), e.getMessage());
        assertFalse(Files.exists(Path.of("/tmp/cdiffset_pwned_b")));

        // an allowed global used as something it is not (a storage class called) is corrupt, in one line
        byte[] call = ("\u0080\u0002ctorch\nFloatStorage\n)R.").getBytes(StandardCharsets.ISO_8859_1);
        Path g = tmp.resolve("call.pth");
        Files.write(g, TorchSaveWriter.zipWithPickle(call, "call"));
        WeightsException e2 = assertThrows(WeightsException.class, () -> WeightFiles.read(g));
        assertEquals(1, e2.getMessage().lines().count(), e2.getMessage());
    }

    private static void shortUnicode(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write(0x8c);
        p.write(b.length);
        p.writeBytes(b);
    }

    @Test
    void nestedModelWrapperAndDataParallelPrefixAreUnwrappedAsForSafetensors() throws Exception {
        Tensor w = Tensors.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("module.conv_in.weight", w);
        inner.put("module.conv_in.bias", Tensors.fromFloats(new float[]{7, 8}, 2).to(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16));
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("epoch", 3L);
        outer.put("lr", 1e-4);
        outer.put("model", inner);
        Path f = tmp.resolve("train.pt");
        TorchSaveWriter.write(f, outer);
        Map<String, Tensor> got = WeightKeys.unetFromAny(WeightFiles.read(f));
        assertEquals(java.util.List.of("conv_in.weight", "conv_in.bias"), java.util.List.copyOf(got.keySet()));
        assertTrue(w.equal(got.get("conv_in.weight")));
        assertEquals(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, Tensors.dtype(got.get("conv_in.bias")));
        assertArrayEquals(new float[]{7, 8}, Tensors.toFloats(got.get("conv_in.bias")));
    }

    @Test
    void aTensorReachingPastItsStorageIsRefusedBeforeReading() throws Exception {
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("w", Tensors.fromFloats(new float[]{1, 2, 3, 4}, 4));
        byte[] zip = TorchSaveWriter.zip(sd, "a");
        // the pickle says shape (4,); make it (5,) by patching the BININT1 size inside the tuple after the offset 0
        byte[] bad = zip.clone();
        String s = new String(bad, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("Q\u008a\u0008"); // BINPERSID, then LONG1 offset 0, then the size tuple
        assertTrue(at > 0);
        int size = s.indexOf("\u008a\u0008\u0004", at + 3);   // LONG1 8 bytes: value 4
        bad[size + 2] = 5;
        Path f = tmp.resolve("past.pth");
        Files.write(f, bad);
        WeightsException e = assertThrows(WeightsException.class, () -> WeightFiles.read(f));
        assertTrue(e.getMessage().contains("tensor 'w'"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void notACheckpointAtAllIsOneLine() throws Exception {
        Path f = tmp.resolve("junk.pth");
        Files.write(f, "hello, not weights".getBytes(StandardCharsets.US_ASCII));
        WeightsException e = assertThrows(WeightsException.class, () -> WeightFiles.read(f));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(Arrays.asList(WeightFiles.EXTENSIONS.toArray()).contains(".ckpt"));
    }
}
