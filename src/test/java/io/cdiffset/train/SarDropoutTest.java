package io.cdiffset.train;

import io.cdiffset.engine.Engine;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@code train.sar_dropout}: whole samples' SAR latents are zeroed, about the requested share, reproducibly. */
class SarDropoutTest {
    @Test
    void zeroesWholeSamplesAtTheRequestedRate() {
        Engine.init();
        int n = 400;
        Tensor zs = torch.ones(n, 4, 2, 2);
        Tensor a = UNetTask.dropSar(zs, 0.25, torch.createCPUGenerator(9));
        Tensor b = UNetTask.dropSar(zs, 0.25, torch.createCPUGenerator(9));
        assertEquals(0.0, a.sub(b).abs().max().item_double(), "same generator state, same mask");
        Tensor perSample = a.sum(new long[]{1, 2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            double s = perSample.get(i).item_double();
            assertTrue(s == 0 || s == 16, "sample " + i + " is partly dropped: sum " + s);
            if (s == 0) dropped++;
        }
        // binomial(400, 0.25): mean 100, sd 8.7
        assertTrue(dropped > 65 && dropped < 135, "dropped " + dropped + " of " + n + " at p = 0.25");
        assertEquals(0.0, UNetTask.dropSar(zs, 0.0, torch.createCPUGenerator(9)).sub(zs).abs().max().item_double(), "p = 0 keeps all");
    }
}
