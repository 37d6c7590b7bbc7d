package io.cdiffset.parity;

import io.cdiffset.engine.Tensors;
import io.cdiffset.metrics.Fid;
import io.cdiffset.metrics.Psnr;
import io.cdiffset.metrics.Scc;
import io.cdiffset.metrics.Ssim;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** torchmetrics PSNR / SSIM / SCC per pair, their means, the pooled batch values and the FID math. */
final class MetricsParity {
    private MetricsParity() {}

    record Img(float[] data, int c, int h, int w) {}

    static void run(Path dir, List<Result> out) {
        try (Fixture fx = new Fixture(dir)) {
            List<Img> preds = new ArrayList<>(), targets = new ArrayList<>();
            for (int i = 0; ; i++) {
                String p = "pair" + i;
                Img pr = image(fx, p + "_pred"), tg = image(fx, p + "_target");
                if (pr == null || tg == null) break;
                preds.add(pr);
                targets.add(tg);
                double psnr = Psnr.of(pr.data(), tg.data());
                double ssim = Ssim.of(pr.data(), tg.data(), pr.c(), pr.h(), pr.w());
                double scc = Scc.of(pr.data(), tg.data(), pr.c(), pr.h(), pr.w());
                scalar(out, fx, p + "_psnr", psnr, 1e-4);
                scalar(out, fx, p + "_ssim", ssim, 1e-5);
                scalar(out, fx, p + "_scc", scc, 1e-5);
            }
            if (preds.isEmpty()) throw new IllegalArgumentException(dir + ": no pairN_pred / pairN_target tensors");
            double[] sum = new double[3];
            for (int i = 0; i < preds.size(); i++) {
                Img p = preds.get(i), t = targets.get(i);
                sum[0] += (float) Psnr.of(p.data(), t.data());
                sum[1] += (float) Ssim.of(p.data(), t.data(), p.c(), p.h(), p.w());
                sum[2] += (float) Scc.of(p.data(), t.data(), p.c(), p.h(), p.w());
            }
            scalar(out, fx, "mean_of_pairs_psnr", sum[0] / preds.size(), 1e-4);
            scalar(out, fx, "mean_of_pairs_ssim", sum[1] / preds.size(), 1e-5);
            scalar(out, fx, "mean_of_pairs_scc", sum[2] / preds.size(), 1e-5);
            if (preds.size() >= 2 && preds.get(0).h() == preds.get(1).h() && preds.get(0).w() == preds.get(1).w()) {
                Img p0 = preds.get(0), p1 = preds.get(1), t0 = targets.get(0), t1 = targets.get(1);
                scalar(out, fx, "batch01_psnr", Psnr.pooled(List.of(p0.data(), p1.data()), List.of(t0.data(), t1.data())), 1e-4);
                scalar(out, fx, "batch01_ssim", Ssim.batch(List.of(p0.data(), p1.data()), List.of(t0.data(), t1.data()), p0.c(), p0.h(), p0.w()), 1e-5);
                scalar(out, fx, "batch01_scc", Scc.batch(List.of(p0.data(), p1.data()), List.of(t0.data(), t1.data()), p0.c(), p0.h(), p0.w()), 1e-5);
            }
            if (fx.has("fid_features1")) {
                Fid.Stats a = Fid.stats(rows(fx.raw("fid_features1"))), b = Fid.stats(rows(fx.raw("fid_features2")));
                out.add(Result.abs("fid_mu1", maxDiff(a.mu(), Tensors.toDoubles(fx.raw("fid_mu1"))), 1e-12));
                out.add(Result.abs("fid_sigma1", maxDiff(flat(a.sigma()), Tensors.toDoubles(fx.raw("fid_sigma1"))), 1e-12));
                out.add(Result.abs("fid_mu2", maxDiff(b.mu(), Tensors.toDoubles(fx.raw("fid_mu2"))), 1e-12));
                out.add(Result.abs("fid_sigma2", maxDiff(flat(b.sigma()), Tensors.toDoubles(fx.raw("fid_sigma2"))), 1e-12));
                double fid = Fid.frechetDistance(a, b), exp = fx.raw("fid").item_double();
                out.add(Result.rel("fid", Math.abs(fid - exp) / Math.abs(exp), 1e-6));
            }
        }
    }

    private static Img image(Fixture fx, String base) {
        Tensor t;
        boolean u8 = false;
        if (fx.has(base)) t = fx.raw(base);
        else if (fx.has(base + "_u8")) {
            t = fx.raw(base + "_u8");
            u8 = true;
        } else return null;
        float[] d = Tensors.toFloats(t);
        if (u8) for (int i = 0; i < d.length; i++) d[i] = d[i] / 255f;
        long[] s = Tensors.shape(t);
        int o = s.length == 4 ? 1 : 0;
        return new Img(d, (int) s[o], (int) s[o + 1], (int) s[o + 2]);
    }

    private static void scalar(List<Result> out, Fixture fx, String name, double got, double atol) {
        if (fx.has(name)) out.add(Result.abs(name, Math.abs(got - fx.raw(name).to(ScalarType.Double).item_double()), atol));
    }

    private static float[][] rows(Tensor t) {
        int n = (int) t.size(0), d = (int) t.size(1);
        float[] all = Tensors.toFloats(t);
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(all, i * d, r[i], 0, d);
        return r;
    }

    private static double[] flat(double[][] m) {
        double[] f = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
        return f;
    }

    private static double maxDiff(double[] a, double[] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
