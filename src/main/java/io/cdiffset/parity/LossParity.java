package io.cdiffset.parity;

import io.cdiffset.engine.Engine;
import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.List;

final class LossParity {
    private LossParity() {}

    static void run(Path dir, List<Result> out) {
        try (Fixture fx = new Fixture(dir)) {
            Tensor ac = fx.f("alphas_cumprod");
            for (String c : fx.cases("_loss")) {
                Tensor target = fx.f(c + "_target");
                Tensor pred = fx.f(c + "_noise_pred").detach().requires_grad_(true);
                Tensor raw = fx.f(c + "_raw_var").detach().requires_grad_(true);
                Tensor sap = ac.index_select(0, fx.raw(c + "_timesteps")).pow(new org.bytedeco.pytorch.Scalar(0.5));
                out.add(Fixture.compare(c + "_sqrt_alpha_prod", sap, fx.f(c + "_sqrt_alpha_prod"), 1e-6 * Tensors.maxAbs(fx.f(c + "_sqrt_alpha_prod"))));
                Tensor var = CDiffLoss.variance(raw);
                out.add(relative(c + "_variance", var, fx.f(c + "_variance"), 1e-6));
                Tensor weight = var.detach().pow(sap.view(-1, 1, 1, 1));
                out.add(relative(c + "_weight", weight, fx.f(c + "_weight"), 1e-6));
                Tensor loss = CDiffLoss.loss(target, pred, raw, sap);
                double expected = fx.f(c + "_loss").item_double();
                out.add(Result.rel(c + "_loss", Math.abs(loss.item_double() - expected) / Math.abs(expected), 1e-5));
                Engine.backward(loss);
                for (String g : new String[]{"noise_pred", "raw_var"}) {
                    Tensor exp = fx.f(c + "_grad_" + g);
                    Tensor got = g.equals("noise_pred") ? pred.grad() : raw.grad();
                    out.add(Fixture.compare(c + "_grad_" + g, got, exp, 1e-6 * Tensors.maxAbs(exp)));
                }
            }
        }
    }

    /** max |a−b| / |b| element-wise (rtol check). */
    static Result relative(String name, Tensor a, Tensor b, double rtol) {
        Tensor bd = b.to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
        Tensor r = a.detach().to(org.bytedeco.pytorch.global.torch.ScalarType.Double).sub(bd).abs().div(bd.abs().clamp_min(new org.bytedeco.pytorch.Scalar(1e-30)));
        return Result.rel(name, r.max().item_double(), rtol);
    }
}
