package io.cdiffset.metrics.nets;

import io.cdiffset.nn.Conv2d;
import io.cdiffset.nn.Module;
import io.cdiffset.nn.Node;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The convolutional trunk of torchvision's VGG16 ({@code vgg16().features}) with its state-dict names
 * {@code features.{0,2,5,7,10,12,14,17,19,21,24,26,28}.{weight,bias}}: 3×3 convolutions (padding 1) each followed by
 * ReLU, 2×2/2 max-pools at indices 4, 9, 16, 23. {@link #forward} returns the five LPIPS taps relu1_2, relu2_2,
 * relu3_3, relu4_3, relu5_3 (the trailing pool at index 30 is never reached, as in lpips).
 */
final class Vgg16Features extends Module {
    /** torchvision indices of the 13 convolutions inside {@code features}. */
    static final int[] CONV_INDEX = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
    /** Output channels of those convolutions. */
    static final int[] CONV_OUT = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
    /** Channels of the five taps. */
    static final int[] TAP_CHANNELS = {64, 128, 256, 512, 512};

    private final Conv2d[] convs = new Conv2d[CONV_INDEX.length];

    Vgg16Features() {
        Node features = child("features", new Node());
        long in = 3;
        for (int i = 0; i < CONV_INDEX.length; i++) {
            convs[i] = features.add(Integer.toString(CONV_INDEX[i]), new Conv2d(in, CONV_OUT[i], 3, 1, 1, true));
            in = CONV_OUT[i];
        }
    }

    /** x [N, 3, H, W] (already through the scaling layer) → the five ReLU taps. */
    Tensor[] forward(Tensor x) {
        Tensor[] taps = new Tensor[5];
        Tensor h = x;
        int tap = 0;
        for (int i = 0; i < convs.length; i++) {
            int idx = CONV_INDEX[i];
            if (idx == 5 || idx == 10 || idx == 17 || idx == 24) h = maxPool2(h); // features.4 / 9 / 16 / 23
            h = torch.relu(convs[i].forward(h));
            if (idx == 2 || idx == 7 || idx == 14 || idx == 21 || idx == 28) taps[tap++] = h;
        }
        return taps;
    }

    private static Tensor maxPool2(Tensor x) {
        return torch.max_pool2d(x, new long[]{2, 2}, new long[]{2, 2}, new long[]{0, 0}, new long[]{1, 1}, false);
    }
}
