package io.cdiffset.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cdiffset.pipeline.TranslateOptions;

/**
 * What a request asked for, in the command line's terms (null: the model's own setting). Precision and the window
 * settings are the server's, not the request's.
 */
public record JobParams(String sampler, Integer steps, @JsonProperty("sar_guidance") Double sarGuidance, long seed, boolean confidence) {
    /** These parameters over the server's base options (precision, windows, pixel limit). */
    public TranslateOptions apply(TranslateOptions base) {
        return base.withSampling(sampler, steps, sarGuidance).withSeed(seed).withConfidence(confidence);
    }
}
