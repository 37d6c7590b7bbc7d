package io.cdiffset.parity;

import io.cdiffset.io.SafeTensors;
import io.cdiffset.model.unet.CDiffSetSurgery;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.unet.UNets;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class UNetParity {
    static final double ATOL = 1e-4;

    private UNetParity() {}

    static void run(Path dir, List<Result> out) {
        try (Fixture fx = new Fixture(dir); InferenceMode im = new InferenceMode()) {
            UNet2DConditionModel unet = UNets.load(dir.resolve("config.json"), dir.resolve("weights.safetensors"));
            for (String c : fx.cases("_sample")) {
                if (!fx.has(c + "_out")) continue;
                Map<String, Tensor> dbg = new HashMap<>();
                Tensor y = unet.forward(fx.f(c + "_sample"), fx.raw(c + "_timesteps"), fx.f(c + "_encoder_hidden_states"), dbg::put);
                out.add(Fixture.compare(c + "_out", y, fx.f(c + "_out"), ATOL));
                for (String k : fx.io.entries().keySet()) {
                    String p = c + "_dbg_";
                    if (k.startsWith(p) && dbg.containsKey(k.substring(p.length()))) {
                        out.add(Fixture.compare(k, dbg.get(k.substring(p.length())), fx.f(k), ATOL));
                    }
                }
            }
            Path baseCfg = dir.resolve("config_base_4in4out.json");
            Path baseW = dir.resolve("weights_base_4in4out.safetensors");
            if (Files.exists(baseCfg) && Files.exists(baseW) && fx.has("base_out")) {
                UNet2DConditionModel base = UNets.load(baseCfg, baseW);
                Tensor t = fx.raw(firstCase(fx) + "_timesteps");
                Tensor ctx = fx.f(firstCase(fx) + "_encoder_hidden_states");
                out.add(Fixture.compare("base_out", base.forward(fx.f("base_sample"), t, ctx), fx.f("base_out"), ATOL));
                CDiffSetSurgery.expandConvIn(base);
                CDiffSetSurgery.expandConvOut(base);
                Path exp = dir.resolve("expansion_expected.safetensors");
                if (Files.exists(exp)) {
                    Map<String, Tensor> own = base.namedParameters();
                    for (Map.Entry<String, Tensor> e : SafeTensors.read(exp).entrySet()) {
                        Tensor mine = own.get(e.getKey());
                        boolean eq = mine != null && Tensors.maxAbsDiff(mine, e.getValue()) == 0.0
                                && java.util.Arrays.equals(Tensors.shape(mine), Tensors.shape(e.getValue()));
                        out.add(Result.exact("expansion " + e.getKey(), eq, "bitwise"));
                    }
                }
                if (fx.has("expanded_out")) {
                    Tensor y = base.forward(fx.f("expanded_sample"), t, ctx);
                    out.add(Fixture.compare("expanded_out", y, fx.f("expanded_out"), ATOL));
                    double ch4 = Tensors.maxAbs(y.narrow(1, 4, 1));
                    out.add(Result.exact("expanded_out[:,4] == 0", ch4 == 0.0, "exact"));
                    out.add(Fixture.compare("expanded_out[:,:4] vs base_out", y.narrow(1, 0, 4), fx.f("base_out"), ATOL));
                }
                UNetConfig c = base.config();
                out.add(Result.exact("expanded config 8-in/5-out", CDiffSetSurgery.isCDiffSet(c), "config"));
            }
        }
    }

    private static String firstCase(Fixture fx) {
        return fx.cases("_timesteps").get(0);
    }
}
