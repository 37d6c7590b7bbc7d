package io.cdiffset.model;

import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.TorchSaveWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

import static org.junit.jupiter.api.Assertions.*;

/** {@code inspect FILE} reads the headers of torch.save files as of safetensors, and reports a refused pickle in one line. */
class InspectorPthTest {
    static final Path UNET = Path.of("src/test/resources/fixtures/unet");

    @TempDir
    Path tmp;

    @Test
    void aPthUNetIsCheckedTensorByTensorLikeItsSafetensors() throws Exception {
        Path pth = tmp.resolve("unet.pth");
        TorchSaveWriter.write(pth, new LinkedHashMap<String, Object>(SafeTensors.read(UNET.resolve("weights.safetensors"))));
        Inspector.Report fromPth = Inspector.analyze(pth, UNET.resolve("config.json"));
        Inspector.Report fromSt = Inspector.analyze(UNET.resolve("weights.safetensors"), UNET.resolve("config.json"));
        Inspector.Component a = fromPth.components().get(0), b = fromSt.components().get(0);
        assertTrue(a.ok(), Inspector.inspect(pth, UNET.resolve("config.json")));
        assertEquals(b.tensors(), a.tensors());
        assertEquals(b.parameters(), a.parameters());
        assertEquals(b.dtypes(), a.dtypes());
        assertEquals(8, Inspector.analyze(pth).components().get(0).inChannels(), "bare file: detected as the C-DiffSET UNet");
    }

    @Test
    void aRefusedPickleIsReportedInOneLine() {
        Inspector.Report r = Inspector.analyze(Path.of("src/test/resources/fixtures/pth/evil.pth"));
        String err = r.components().get(0).error();
        assertNotNull(err);
        assertTrue(err.contains("refuses to load: the pickle calls posix.system"), err);
        assertEquals(1, err.lines().count());
        assertFalse(Files.exists(Path.of("/tmp/cdiffset_pwned_a")));
    }
}
