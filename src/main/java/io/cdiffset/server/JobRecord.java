package io.cdiffset.server;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A job as its folder's {@code job.json} keeps it: enough to resume it after a restart and to serve its results. File
 * names are relative to the job folder and chosen by the server, never taken from a request.
 *
 * @param id           unguessable id (128 random bits, hex)
 * @param state        queued, running, done or failed
 * @param created      epoch milliseconds of the upload
 * @param started      when it last started running, or null
 * @param finished     when it ended (done or failed), or null
 * @param name         the uploaded file's name as sent, for display only
 * @param input        the stored input file (input.png / input.jpg / input.tif, by its content)
 * @param width        input width in pixels
 * @param height       input height in pixels
 * @param georeferenced whether the input was a GeoTIFF (then the EO is one too)
 * @param params       what was asked
 * @param error        the one-line reason of a failure, or null
 * @param eo           the EO as translate writes it (out/input.png or out/input.tif), once done
 * @param eoPng        the EO as PNG (the same file as {@code eo} for a PNG), once done, or null if too large to preview
 * @param sarPng       the SAR as the model sees it, as PNG, or null if too large to preview
 * @param confidencePng the colour-mapped confidence map, or null
 * @param confidenceTif the float confidence GeoTIFF, or null
 * @param seconds      translation wall-clock seconds, once done
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRecord(String id, String state, long created, Long started, Long finished, String name, String input,
                        int width, int height, boolean georeferenced, JobParams params, String error,
                        String eo, String eoPng, String sarPng, String confidencePng, String confidenceTif, Double seconds) {
    public static final String QUEUED = "queued", RUNNING = "running", DONE = "done", FAILED = "failed";

    public static JobRecord queued(String id, long now, String name, String input, int width, int height, boolean geo, JobParams params) {
        return new JobRecord(id, QUEUED, now, null, null, name, input, width, height, geo, params, null, null, null, null, null, null, null);
    }

    public boolean finishedState() {
        return state.equals(DONE) || state.equals(FAILED);
    }

    public JobRecord requeued() {
        return new JobRecord(id, QUEUED, created, null, null, name, input, width, height, georeferenced, params, null, null, null, null, null, null, null);
    }

    public JobRecord running(long now) {
        return new JobRecord(id, RUNNING, created, now, null, name, input, width, height, georeferenced, params, null, null, null, null, null, null, null);
    }

    public JobRecord failed(long now, String reason) {
        return new JobRecord(id, FAILED, created, started, now, name, input, width, height, georeferenced, params, reason, null, null, null, null, null, null);
    }

    public JobRecord done(long now, String eo, String eoPng, String sarPng, String confidencePng, String confidenceTif, double seconds) {
        return new JobRecord(id, DONE, created, started, now, name, input, width, height, georeferenced, params, null, eo, eoPng, sarPng,
                confidencePng, confidenceTif, seconds);
    }
}
