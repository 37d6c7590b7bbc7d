package io.cdiffset.diffusion;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * A diffusion sampler (a diffusers scheduler after {@code set_timesteps(steps)}): which timesteps the UNet is
 * evaluated at, how its input is scaled, and how one step moves the latent towards x0.
 *
 * <p>Usage, as diffusers' pipelines do:
 * <pre>{@code
 * x = unitNoise * initNoiseSigma();
 * for (i = 0; i < steps(); i++) {
 *     out = unet(scaleModelInput(x, i), timesteps()[i]);
 *     x = step(out, i, x);
 * }
 * }</pre>
 * Multistep samplers keep the previous model outputs: steps must be taken in order {@code 0, 1, ..., steps()−1} on
 * one object. Step 0 starts a new trajectory (history is cleared), so an object can be reused for the next latent.
 * Not thread-safe. All arithmetic is float32 as in diffusers.
 */
public interface Sampler {
    /** The name accepted by {@link Samplers#create}. */
    String name();

    /** Number of training timesteps T of the underlying noise schedule (1000 for SD 2.1). */
    int trainSteps();

    /** Number of denoising steps (= UNet evaluations, without guidance). */
    int steps();

    /**
     * diffusers' {@code scheduler.timesteps}, the UNet's timestep at step i (descending). Integers for every sampler
     * except Euler, whose timesteps are float32 sigma-interpolated positions (e.g. 946.42).
     */
    double[] timesteps();

    /** Whether {@link #timesteps()} are integers (int64 in diffusers) rather than float32. */
    boolean integerTimesteps();

    /** The timesteps as the tensor diffusers would hand the UNet: int64, or float32 for Euler. */
    default Tensor timestepTensor() {
        double[] t = timesteps();
        if (integerTimesteps()) {
            long[] l = new long[t.length];
            for (int i = 0; i < t.length; i++) l[i] = (long) t[i];
            return Tensors.fromLongs(l, l.length);
        }
        float[] f = new float[t.length];
        for (int i = 0; i < t.length; i++) f[i] = (float) t[i];
        return Tensors.fromFloats(f, f.length);
    }

    /** Standard deviation of the initial latent: 1, or σ_max for Euler (unit Gaussian noise is multiplied by it). */
    double initNoiseSigma();

    /** diffusers' {@code scale_model_input(x, t_i)}: what the UNet is fed at step i (x itself except for Euler). */
    Tensor scaleModelInput(Tensor x, int i);

    /** diffusers' {@code step(modelOutput, t_i, x).prev_sample}: x_(i+1). */
    Tensor step(Tensor modelOutput, int i, Tensor x);
}
