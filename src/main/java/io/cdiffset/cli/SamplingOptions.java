package io.cdiffset.cli;

import picocli.CommandLine.Option;

/** --sampler, --steps, --sar-guidance and --seed, as translate and evaluate (and later front ends) take them. */
final class SamplingOptions {
    @Option(names = "--sampler", paramLabel = "NAME", description = {
            "ddim (C-DiffSET's), dpmpp_2m, dpmpp_2m_karras, euler or unipc, as diffusers computes them",
            "(default: the model's sampling.json, else ddim); few-step samplers give usable images at 10-20 steps"})
    String sampler;
    @Option(names = "--steps", paramLabel = "N", description = "sampling steps (default: the model's sampling.json, else 50)")
    Integer steps;
    @Option(names = "--sar-guidance", paramLabel = "S", description = {
            "how strongly the output follows the SAR: each step also runs the UNet without the SAR and extrapolates (2x the UNet work);",
            "1 = plain C-DiffSET sampling; > 1 needs a UNet trained with train.sar_dropout (default: the model's own, else 1)"})
    Double sarGuidance;
    @Option(names = "--seed", defaultValue = "0", description = "noise seed; same seed, same output (default: ${DEFAULT-VALUE})")
    long seed;
}
