package io.cdiffset.train;

/**
 * A training configuration read once into typed, validated values: the only place that reads {@link TrainConfig}'s
 * string keys (every key of the built-in {@code base.yaml}). A bad value is a one-line error naming its key when the
 * configuration is loaded, not when some step of training first reads it.
 *
 * @param task "unet" ({@code cdiffset train}) or "vae" ({@code cdiffset train-vae})
 */
public record TrainSettings(String task, Data data, Model model, Train train, Log log) {

    /**
     * {@code data.*}: where the pairs are and how they are cut.
     *
     * @param dir           dataset folder as given ("" = none; resolved with {@link TrainConfig#path})
     * @param layout        auto, csv, qxs, sar2opt, spacenet6 (checked by the data set reader)
     * @param split         auto, random or file:&lt;ids.txt&gt; (checked by the data set reader)
     * @param trainFraction share of scenes in the train split when the split is random
     * @param crop          training crop size in pixels, a multiple of 8
     * @param cacheLatents  encode whole images once and train on latent crops
     */
    public record Data(String dir, String layout, String split, double trainFraction, int crop, boolean cacheLatents) {
        public Data {
            if (crop % 8 != 0) throw new IllegalArgumentException("data.crop must be a multiple of 8, got " + crop);
        }
    }

    /**
     * {@code model.*}: what is trained and from where. Paths are as given ("" = not set).
     *
     * @param vaeScalingFactor train-vae: "auto", "keep" or a positive number
     */
    public record Model(String base, String vae, String stage1Unet, String unetInit, int[] blockOutChannels, int layersPerBlock,
                        int[] attentionHeads, int crossAttentionDim, int normNumGroups, int[] vaeBlockOutChannels,
                        int vaeLayersPerBlock, String vaeInit, String vaeScalingFactor) {
        public Model {
            if (!vaeScalingFactor.equals("auto") && !vaeScalingFactor.equals("keep") && !(parsePositive(vaeScalingFactor) > 0)) {
                throw new IllegalArgumentException("model.vae_scaling_factor must be auto, keep or a positive number, got " + vaeScalingFactor);
            }
        }

        /** The fixed scaling factor given as a number, or null for auto / keep. */
        public Double fixedScalingFactor() {
            return vaeScalingFactor.equals("auto") || vaeScalingFactor.equals("keep") ? null : parsePositive(vaeScalingFactor);
        }

        private static double parsePositive(String s) {
            try {
                double d = Double.parseDouble(s);
                return Double.isFinite(d) ? d : Double.NaN;
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
    }

    /**
     * {@code train.*}: the optimisation.
     *
     * @param stage      cdiff (8-in/5-out, C-Diff loss) or mse (stage 1, 8-in/4-out); anything but cdiff trains stage 1
     * @param schedule   cosine or constant (anything but cosine is constant)
     * @param precision  fp32 or bf16
     * @param prediction epsilon, v_prediction or sample
     * @param sarDropout share of samples whose SAR latent is zeroed, in [0, 1)
     * @param eoFraction train-vae: share of EO crops in a batch, in [0, 1]
     * @param vaePart    train-vae: all or decoder
     */
    public record Train(String stage, long steps, int batch, int gradAccum, double lr, double weightDecay, long warmup, String schedule,
                        long seed, String precision, String prediction, double sarDropout, double klWeight, double ssimWeight,
                        double eoFraction, String vaePart) {
        public Train {
            if (!(sarDropout >= 0 && sarDropout < 1)) throw new IllegalArgumentException("train.sar_dropout must be in [0, 1), got " + sarDropout);
            if (!(eoFraction >= 0 && eoFraction <= 1)) throw new IllegalArgumentException("train.eo_fraction must be between 0 and 1, got " + eoFraction);
            if (!"all".equals(vaePart) && !"decoder".equals(vaePart)) throw new IllegalArgumentException("train.vae_part must be all or decoder, got " + vaePart);
        }

        /** Stage 2 (C-Diff loss, variance head) rather than stage 1 (ε-MSE). */
        public boolean cdiff() {
            return stage.equals("cdiff");
        }

        /** Micro-batches per optimizer step (at least 1). */
        public int accumulation() {
            return Math.max(1, gradAccum);
        }
    }

    /**
     * {@code log.*} and {@code inference.steps}: what a run writes and how often (periods of at least 1 step).
     *
     * @param inferenceSteps DDIM steps of the validation samples ({@code inference.steps})
     */
    public record Log(int every, long checkpointEvery, int keepCheckpoints, long valEvery, int valCount, long sampleEvery,
                      int sampleCount, int inferenceSteps) {}

    /** Reads every setting of {@code c} (the one place that knows the keys). */
    public static TrainSettings of(TrainConfig c) {
        Data data = new Data(path(c, "data.dir"), word(c, "data.layout"), word(c, "data.split"), c.d("data.train_fraction"), c.i("data.crop"),
                c.b("data.cache_latents"));
        Model model = new Model(path(c, "model.base"), path(c, "model.vae"), path(c, "model.stage1_unet"), path(c, "model.unet_init"),
                c.ints("model.block_out_channels"), c.i("model.layers_per_block"), c.ints("model.attention_heads"),
                c.i("model.cross_attention_dim"), c.i("model.norm_num_groups"), c.ints("model.vae_block_out_channels"),
                c.i("model.vae_layers_per_block"), path(c, "model.vae_init"),
                c.str("model.vae_scaling_factor") == null || c.str("model.vae_scaling_factor").isBlank() ? "auto" : c.str("model.vae_scaling_factor"));
        Train train = new Train(word(c, "train.stage"), c.l("train.steps"), c.i("train.batch"), c.i("train.grad_accum"), c.d("train.lr"),
                c.d("train.weight_decay"), c.l("train.warmup"), word(c, "train.schedule"), c.l("train.seed"), word(c, "train.precision"),
                word(c, "train.prediction"), c.d("train.sar_dropout"), c.d("train.kl_weight"), c.d("train.ssim_weight"),
                c.d("train.eo_fraction"), word(c, "train.vae_part"));
        Log log = new Log(c.i("log.every"), c.l("log.checkpoint_every"), c.i("log.keep_checkpoints"), c.l("log.val_every"),
                c.i("log.val_count"), c.l("log.sample_every"), c.i("log.sample_count"), c.i("inference.steps"));
        return new TrainSettings(word(c, "task"), data, model, train, log);
    }

    /** A path setting: "" when not set. */
    private static String path(TrainConfig c, String key) {
        String v = c.str(key);
        return v == null ? "" : v;
    }

    /** A setting that names a choice: must be given. */
    private static String word(TrainConfig c, String key) {
        String v = c.str(key);
        if (v == null) throw new IllegalArgumentException("setting '" + key + "' must be given");
        return v;
    }

    /** True when a path setting is given (not null or blank). */
    public static boolean set(String path) {
        return path != null && !path.isBlank();
    }
}
