package io.cdiffset.train;

/** diffusers get_cosine_schedule_with_warmup (num_cycles 0.5) or a constant rate after linear warm-up. */
public record LrSchedule(double base, long warmup, long total, boolean cosine) {
    public double at(long step) {
        if (step < warmup) return base * (double) step / Math.max(1, warmup);
        if (!cosine) return base;
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return base * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
    }
}
