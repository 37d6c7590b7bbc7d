package io.cdiffset.train;

import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.nn.WorkingCopy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bf16 training with persistent bf16 working copies of the convolution and linear weights computes what autocast's
 * per-step casts of the fp32 weights compute: the same bf16 weights in every forward, the same bf16 weight gradients
 * (autocast's cast backward turns them into fp32 exactly), so the same AdamW update of the fp32 masters. Checked over
 * several optimizer steps (each step must see the weights the previous one wrote), with gradient accumulation, and
 * after the masters are changed behind the optimizer's back (a checkpoint restore).
 */
class WorkingCopyTest {
    private static final UNetConfig CFG = UNetConfig.from(ConfigJson.read(Path.of("src/test/resources/fixtures/unet/config.json")));

    @Test
    void stepsWithWorkingCopiesMatchAutocastCasts() {
        UNet2DConditionModel ref = model(), copies = model();
        AdamW refOpt = AdamW.forTraining(ref, ref.namedParameters(), 1e-2, Precision.FP32); // plain: autocast casts
        AdamW opt = AdamW.forTraining(copies, copies.namedParameters(), 1e-2, Precision.BF16);
        long conv = copies.namedParameters().keySet().stream().filter(k -> k.endsWith(".weight")).count();
        double[] lossRef = new double[3], loss = new double[3];
        for (int s = 0; s < 3; s++) {
            lossRef[s] = step(ref, refOpt, s, 1);
            loss[s] = step(copies, opt, s, 1);
        }
        double diff = maxRelDiff(ref, copies);
        System.out.printf("3 bf16 steps, working copies vs autocast casts: losses %s vs %s, parameters max rel diff %.2e (%d weights)%n",
                java.util.Arrays.toString(loss), java.util.Arrays.toString(lossRef), diff, conv);
        for (int s = 0; s < 3; s++) assertEquals(lossRef[s], loss[s], 1e-6 * Math.abs(lossRef[s]), "loss of step " + s);
        assertTrue(diff < 1e-5, "parameters after 3 steps differ by " + diff);
        assertTrue(lossRef[2] != lossRef[0], "the steps changed the model");
    }

    @Test
    void accumulatedMicroBatchesAddUpInFp32() {
        UNet2DConditionModel ref = model(), copies = model();
        AdamW refOpt = AdamW.forTraining(ref, ref.namedParameters(), 1e-2, Precision.FP32);
        AdamW opt = AdamW.forTraining(copies, copies.namedParameters(), 1e-2, Precision.BF16);
        for (int s = 0; s < 2; s++) {
            step(ref, refOpt, s, 3);
            step(copies, opt, s, 3);
        }
        double diff = maxRelDiff(ref, copies);
        System.out.printf("2 steps of 3 accumulated bf16 micro-batches: parameters max rel diff %.2e%n", diff);
        assertTrue(diff < 1e-5, "parameters differ by " + diff);
    }

    @Test
    void aRestoredMasterIsWhatTheNextForwardUses() {
        UNet2DConditionModel m = model();
        Map<String, WorkingCopy> copies = m.keepWorkingCopies(ScalarType.BFloat16, m.namedParameters().keySet());
        assertFalse(copies.isEmpty());
        assertTrue(copies.keySet().stream().noneMatch(k -> k.contains("norm")), "norms keep fp32 weights: " + copies.keySet());
        WorkingCopy c = copies.values().iterator().next();
        try (PointerScope s = new PointerScope()) {
            assertEquals(0.0, c.current().to(ScalarType.Float).sub(c.master().to(ScalarType.BFloat16).to(ScalarType.Float)).abs().max().item_double());
            try (NoGradGuard g = new NoGradGuard()) {
                c.master().copy_(torch.randn(Tensors.shape(c.master()))); // as Module.load does
            }
            Tensor expected = c.master().to(ScalarType.BFloat16).to(ScalarType.Float);
            assertEquals(0.0, c.current().to(ScalarType.Float).sub(expected).abs().max().item_double(), "copy re-rounded from the new master");
        }
    }

    private static UNet2DConditionModel model() {
        Engine.seed(5);
        return new UNet2DConditionModel(CFG);
    }

    /** One optimizer step of {@code micro} micro-batches (inputs seeded by step and micro-batch). */
    private static double step(UNet2DConditionModel unet, AdamW opt, int step, int micro) {
        NoiseSchedule sched = NoiseSchedule.sd21();
        double loss = 0;
        try (PointerScope s = new PointerScope(); Precision.Scope ac = Precision.BF16.scope()) {
            for (int m = 0; m < micro; m++) {
                Engine.seed(100 + 10L * step + m);
                Tensor zs = torch.randn(1, 4, 8, 8), ze = torch.randn(1, 4, 8, 8), noise = torch.randn(1, 4, 8, 8);
                Tensor ctx = torch.randn(1, 6, CFG.crossAttentionDim());
                Tensor t = Tensors.fromLongs(new long[]{100 + 300L * m}, 1);
                Tensor l = UNetTask.loss(unet, sched, ctx, true, zs, ze, t, noise).div(Tensors.scalar(micro));
                Engine.backward(l);
                loss += l.item_double();
                if (micro > 1) opt.foldWorkingGradients();
            }
        }
        Trainer.update(opt, 1e-3, Precision.BF16);
        return loss;
    }

    private static double maxRelDiff(UNet2DConditionModel a, UNet2DConditionModel b) {
        Map<String, Tensor> pb = b.namedParameters();
        double worst = 0;
        try (PointerScope s = new PointerScope()) {
            for (Map.Entry<String, Tensor> e : a.namedParameters().entrySet()) {
                Tensor x = e.getValue().detach(), y = pb.get(e.getKey()).detach();
                double scale = Math.max(x.abs().max().item_double(), 1e-12);
                worst = Math.max(worst, x.sub(y).abs().max().item_double() / scale);
            }
        }
        return worst;
    }
}
