package io.cdiffset.model.unet;

import io.cdiffset.nn.Conv2d;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * C-DiffSET's UNet surgery (official {@code replace_unet_conv_in/out}): conv_in 4→8 with the old weights duplicated
 * and halved (SAR latent channels first), conv_out 4→5 with a zero-initialised variance channel.
 */
public final class CDiffSetSurgery {
    private CDiffSetSurgery() {}

    public static void expandConvIn(UNet2DConditionModel unet) {
        Conv2d c = unet.convIn();
        if (c.inChannels() != 4) throw new IllegalStateException("conv_in already has " + c.inChannels() + " input channels");
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor w = c.weight().detach();
            c.replace(torch.cat(new TensorVector(w, w), 1).mul(new Scalar(0.5)), c.bias().detach().clone());
        }
        UNetConfig cfg = unet.config();
        unet.setConfig(cfg.withChannels(8, cfg.outChannels()));
    }

    public static void expandConvOut(UNet2DConditionModel unet) {
        Conv2d c = unet.convOut();
        if (c.outChannels() != 4) throw new IllegalStateException("conv_out already has " + c.outChannels() + " output channels");
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor w = c.weight().detach();
            Tensor b = c.bias().detach();
            Tensor wz = torch.zeros(1, w.size(1), w.size(2), w.size(3));
            c.replace(torch.cat(new TensorVector(w, wz), 0), torch.cat(new TensorVector(b, torch.zeros(1)), 0));
        }
        UNetConfig cfg = unet.config();
        unet.setConfig(cfg.withChannels(cfg.inChannels(), 5));
    }

    /** True for the 8-in / 5-out C-DiffSET layout. */
    public static boolean isCDiffSet(UNetConfig c) {
        return c.inChannels() == 8 && c.outChannels() == 5;
    }
}
