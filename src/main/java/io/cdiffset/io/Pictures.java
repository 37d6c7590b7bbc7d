package io.cdiffset.io;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/** PNG pictures for people: loss curves, comparison charts and labelled image grids (headless Java2D). */
public final class Pictures {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Series colours, in order (matplotlib's tab10: ten colours that stay apart for most colour-blind readers too). */
    public static final List<Color> PALETTE = List.of(new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
            new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207));

    /** Width of one panel of {@link #errorBarPanels} (its plot area and axis labels). */
    public static final int PANEL_WIDTH = 420;
    /** Width of the legend column right of the panels of {@link #errorBarPanels}. */
    public static final int LEGEND_WIDTH = 200;
    /** Height of an {@link #errorBarPanels} picture. */
    public static final int PANELS_HEIGHT = 520;

    private Pictures() {}

    /** The colour of series {@code i} (cycling through {@link #PALETTE}). */
    public static Color colour(int i) {
        return PALETTE.get(Math.floorMod(i, PALETTE.size()));
    }

    /** A cell image: CHW floats in [0,1] with 1 or 3 channels. */
    public record Cell(float[] chw, int channels, int height, int width) {}

    /** A line chart of one or more series of (x, y) points; y is smoothed with an EMA for readability. */
    public static void lineChart(Path png, String title, String xLabel, List<String> names, List<double[][]> series) {
        int w = 900, h = 500, left = 70, right = 20, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymin = Double.MAX_VALUE, ymax = -Double.MAX_VALUE;
        for (double[][] s : series) {
            for (double[] p : s) {
                if (!Double.isFinite(p[1])) continue;
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                ymin = Math.min(ymin, p[1]);
                ymax = Math.max(ymax, p[1]);
            }
        }
        if (xmin > xmax) {
            xmin = 0;
            xmax = 1;
            ymin = 0;
            ymax = 1;
        }
        if (xmax == xmin) xmax = xmin + 1;
        if (ymax == ymin) ymax = ymin + 1e-6;
        double pad = (ymax - ymin) * 0.05;
        ymin -= pad;
        ymax += pad;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(left, top, w - left - right, h - top - bottom);
        for (int i = 0; i <= 4; i++) {
            double yv = ymin + (ymax - ymin) * i / 4;
            int y = (int) (h - bottom - (h - top - bottom) * i / 4.0);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, w - right - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.4g", yv), 5, y + 4);
            double xv = xmin + (xmax - xmin) * i / 4;
            int x = (int) (left + (w - left - right) * i / 4.0);
            g.drawString(String.format("%.0f", xv), x - 10, h - bottom + 18);
        }
        g.drawString(xLabel, w / 2 - 20, h - 12);
        for (int si = 0; si < series.size(); si++) {
            double[][] s = series.get(si);
            Color c = colour(si);
            boolean smooth = s.length > 50;
            double ema = Double.NaN;
            int px = -1, py = -1;
            g.setStroke(new BasicStroke(smooth ? 1.0f : 2.0f));
            g.setColor(smooth ? new Color(c.getRed(), c.getGreen(), c.getBlue(), 70) : c);
            for (double[] p : s) {
                if (!Double.isFinite(p[1])) continue;
                int x = (int) (left + (p[0] - xmin) / (xmax - xmin) * (w - left - right));
                int y = (int) (h - bottom - (p[1] - ymin) / (ymax - ymin) * (h - top - bottom));
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            if (smooth) {
                g.setColor(c);
                g.setStroke(new BasicStroke(2.0f));
                px = -1;
                double alpha = 2.0 / (Math.max(10, s.length / 20) + 1);
                for (double[] p : s) {
                    if (!Double.isFinite(p[1])) continue;
                    ema = Double.isNaN(ema) ? p[1] : ema + alpha * (p[1] - ema);
                    int x = (int) (left + (p[0] - xmin) / (xmax - xmin) * (w - left - right));
                    int y = (int) (h - bottom - (ema - ymin) / (ymax - ymin) * (h - top - bottom));
                    if (px >= 0) g.drawLine(px, py, x, y);
                    px = x;
                    py = y;
                }
            }
            g.setColor(c);
            g.fillRect(w - right - 170, top + 10 + 18 * si, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(names.get(si), w - right - 152, top + 21 + 18 * si);
        }
        g.dispose();
        write(png, img);
    }

    /** One line of an {@link #errorBarPanels} panel: points (x[i], y[i]) with ±err[i] bars (NaN or 0: no bar). */
    public record ErrorSeries(String name, double[] x, double[] y, double[] err) {
        public ErrorSeries {
            if (x.length != y.length || y.length != err.length) throw new IllegalArgumentException("x, y and err differ in length");
        }
    }

    /** One panel of {@link #errorBarPanels}: its title and its series (the same names get the same colour in every panel). */
    public record Panel(String title, List<ErrorSeries> series) {}

    /**
     * Side-by-side panels sharing one x axis kind: x on a log scale ticked at exactly the x values present (step
     * counts), y around a dashed zero line (the reference), one line with markers per series, ±err bars and one
     * legend on the right. Series with the same name share colour and marker across panels; points of different
     * series at the same x are nudged a few pixels apart so their error bars do not hide each other. The picture is
     * {@link #PANEL_WIDTH} × panels + {@link #LEGEND_WIDTH} wide and {@link #PANELS_HEIGHT} high; written atomically.
     * {@code note} (lines separated by '\n', may be null) is printed under the legend, e.g. what the bars mean.
     */
    public static void errorBarPanels(Path png, String title, String xLabel, List<Panel> panels, String note) {
        if (panels.isEmpty()) throw new IllegalArgumentException("no panels");
        int w = PANEL_WIDTH * panels.size() + LEGEND_WIDTH, h = PANELS_HEIGHT;
        int top = 66, bottom = h - 62;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 12), bold = new Font(Font.SANS_SERIF, Font.BOLD, 14);

        // names in first-seen order fix each series' colour and marker across panels
        List<String> names = new java.util.ArrayList<>();
        java.util.TreeSet<Double> xs = new java.util.TreeSet<>();
        for (Panel p : panels) {
            for (ErrorSeries s : p.series()) {
                if (!names.contains(s.name())) names.add(s.name());
                for (double x : s.x()) if (x > 0 && Double.isFinite(x)) xs.add(x);
            }
        }
        double lo = xs.isEmpty() ? 0 : Math.log(xs.first()), hi = xs.isEmpty() ? 1 : Math.log(xs.last());
        double span = hi - lo;
        lo -= span == 0 ? 0.5 : span * 0.08;
        hi += span == 0 ? 0.5 : span * 0.08;

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        int tw = g.getFontMetrics().stringWidth(title);
        g.drawString(title, Math.max(8, (PANEL_WIDTH * panels.size() - tw) / 2), 27);

        for (int pi = 0; pi < panels.size(); pi++) {
            Panel panel = panels.get(pi);
            g.setStroke(new BasicStroke(1f));
            int x0 = pi * PANEL_WIDTH + 70, x1 = (pi + 1) * PANEL_WIDTH - 16;
            // y range: every point with its bar, and zero
            double ymin = 0, ymax = 0;
            for (ErrorSeries s : panel.series()) {
                for (int i = 0; i < s.y().length; i++) {
                    double e = Double.isFinite(s.err()[i]) ? s.err()[i] : 0;
                    if (!Double.isFinite(s.y()[i])) continue;
                    ymin = Math.min(ymin, s.y()[i] - e);
                    ymax = Math.max(ymax, s.y()[i] + e);
                }
            }
            if (ymax - ymin == 0) {
                ymin = -1;
                ymax = 1;
            }
            double pad = (ymax - ymin) * 0.08;
            ymin -= pad;
            ymax += pad;
            double step = niceStep(ymax - ymin, 6);
            final double yLo = ymin, yHi = ymax, xLo = lo, xHi = hi;
            java.util.function.DoubleUnaryOperator py = v -> bottom - (v - yLo) / (yHi - yLo) * (bottom - top);
            java.util.function.DoubleUnaryOperator px = v -> x0 + (Math.log(v) - xLo) / (xHi - xLo) * (x1 - x0);

            g.setFont(bold);
            g.setColor(Color.BLACK);
            int ptw = g.getFontMetrics().stringWidth(panel.title());
            g.drawString(panel.title(), (x0 + x1 - ptw) / 2, top - 10);
            g.setFont(plain);
            java.awt.FontMetrics fm = g.getFontMetrics();
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
            for (long k = (long) Math.ceil(ymin / step); k <= (long) Math.floor(ymax / step); k++) {
                double v = k * step;
                int y = (int) Math.round(py.applyAsDouble(v));
                g.setColor(new Color(232, 232, 232));
                g.drawLine(x0 + 1, y, x1 - 1, y);
                String label = Math.abs(v) < step * 1e-6 ? "0" : String.format(java.util.Locale.ROOT, "%+." + decimals + "f", v);
                g.setColor(Color.DARK_GRAY);
                g.drawString(label, x0 - 6 - fm.stringWidth(label), y + 4);
            }
            int lastRight = Integer.MIN_VALUE;
            for (double xv : xs) {
                int x = (int) Math.round(px.applyAsDouble(xv));
                g.setColor(new Color(232, 232, 232));
                g.drawLine(x, top + 1, x, bottom - 1);
                String label = xv == Math.rint(xv) ? Long.toString((long) xv) : String.format(java.util.Locale.ROOT, "%.3g", xv);
                int lw = fm.stringWidth(label);
                if (x - lw / 2 > lastRight + 4) { // a label that would overlap its neighbour is left out
                    g.setColor(Color.DARK_GRAY);
                    g.drawString(label, x - lw / 2, bottom + 17);
                    lastRight = x + lw / 2;
                }
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString(xLabel, (x0 + x1 - fm.stringWidth(xLabel)) / 2, bottom + 38);
            g.setColor(Color.GRAY);
            g.drawRect(x0, top, x1 - x0, bottom - top);
            int zero = (int) Math.round(py.applyAsDouble(0));
            g.setColor(new Color(90, 90, 90));
            g.setStroke(new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
            g.drawLine(x0 + 1, zero, x1 - 1, zero);

            java.awt.Shape clip = g.getClip();
            g.clipRect(x0 + 1, top + 1, x1 - x0 - 1, bottom - top - 1);
            int count = names.size();
            double nudge = Math.min(5.0, 24.0 / Math.max(1, count));
            for (ErrorSeries s : panel.series()) {
                int si = names.indexOf(s.name());
                double dx = (si - (count - 1) / 2.0) * nudge;
                Color c = colour(si);
                g.setColor(c);
                g.setStroke(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                double prevX = Double.NaN, prevY = Double.NaN;
                for (int i = 0; i < s.x().length; i++) {
                    if (!(s.x()[i] > 0) || !Double.isFinite(s.y()[i])) continue;
                    double x = px.applyAsDouble(s.x()[i]) + dx, y = py.applyAsDouble(s.y()[i]);
                    if (!Double.isNaN(prevX)) g.draw(new java.awt.geom.Line2D.Double(prevX, prevY, x, y));
                    prevX = x;
                    prevY = y;
                }
                g.setStroke(new BasicStroke(1.5f));
                for (int i = 0; i < s.x().length; i++) {
                    if (!(s.x()[i] > 0) || !Double.isFinite(s.y()[i])) continue;
                    double x = px.applyAsDouble(s.x()[i]) + dx, y = py.applyAsDouble(s.y()[i]), e = s.err()[i];
                    if (Double.isFinite(e) && e > 0) {
                        double ya = py.applyAsDouble(s.y()[i] - e), yb = py.applyAsDouble(s.y()[i] + e);
                        g.draw(new java.awt.geom.Line2D.Double(x, ya, x, yb));
                        g.draw(new java.awt.geom.Line2D.Double(x - 4, ya, x + 4, ya));
                        g.draw(new java.awt.geom.Line2D.Double(x - 4, yb, x + 4, yb));
                    }
                    g.fill(marker(si, x, y, 5.5));
                }
            }
            g.setClip(clip);
        }

        // legend: a line with its marker and the series name
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int lx = PANEL_WIDTH * panels.size() + 8;
        for (int si = 0; si < names.size(); si++) {
            int ly = top + 14 + 24 * si;
            g.setColor(colour(si));
            g.setStroke(new BasicStroke(2.2f));
            g.drawLine(lx, ly, lx + 30, ly);
            g.fill(marker(si, lx + 15, ly, 5.5));
            g.setColor(Color.BLACK);
            g.drawString(names.get(si), lx + 40, ly + 5);
        }
        if (note != null) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.setColor(Color.DARK_GRAY);
            int ny = top + 14 + 24 * names.size() + 16;
            for (String line : note.split("\n")) {
                g.drawString(line, lx, ny);
                ny += 15;
            }
        }
        g.dispose();
        write(png, img);
    }

    /** Marker shapes cycle with the series (circle, square, triangle, diamond, inverted triangle), centred at (x, y). */
    private static java.awt.Shape marker(int series, double x, double y, double r) {
        return switch (Math.floorMod(series, 5)) {
            case 0 -> new java.awt.geom.Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
            case 1 -> new java.awt.geom.Rectangle2D.Double(x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r);
            case 2 -> polygon(new double[]{x, x + r * 1.1, x - r * 1.1}, new double[]{y - r * 1.2, y + r * 0.8, y + r * 0.8});
            case 3 -> polygon(new double[]{x, x + r * 1.2, x, x - r * 1.2}, new double[]{y - r * 1.2, y, y + r * 1.2, y});
            default -> polygon(new double[]{x, x + r * 1.1, x - r * 1.1}, new double[]{y + r * 1.2, y - r * 0.8, y - r * 0.8});
        };
    }

    private static java.awt.Shape polygon(double[] xs, double[] ys) {
        java.awt.geom.Path2D.Double p = new java.awt.geom.Path2D.Double();
        p.moveTo(xs[0], ys[0]);
        for (int i = 1; i < xs.length; i++) p.lineTo(xs[i], ys[i]);
        p.closePath();
        return p;
    }

    /** A tick spacing of 1, 2 or 5 × 10^k giving about {@code target} ticks over {@code range}. */
    static double niceStep(double range, int target) {
        double raw = range / target;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    /** A grid of images with column titles; each row is one example. Single-channel cells are shown grey. */
    public static void grid(Path png, List<String> titles, List<List<Cell>> rows, int cell) {
        int cols = titles.size(), head = 24, gap = 4;
        int w = cols * (cell + gap) + gap, h = head + rows.size() * (cell + gap) + gap;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        for (int c = 0; c < cols; c++) g.drawString(titles.get(c), gap + c * (cell + gap) + 4, 17);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < rows.get(r).size() && c < cols; c++) {
                Cell cl = rows.get(r).get(c);
                if (cl == null) continue;
                g.drawImage(toImage(cl), gap + c * (cell + gap), head + gap + r * (cell + gap), cell, cell, null);
            }
        }
        g.dispose();
        write(png, img);
    }

    public static BufferedImage toImage(Cell c) {
        BufferedImage img = new BufferedImage(c.width(), c.height(), BufferedImage.TYPE_INT_RGB);
        int plane = c.width() * c.height();
        for (int y = 0; y < c.height(); y++) {
            for (int x = 0; x < c.width(); x++) {
                int i = y * c.width() + x;
                int r = u8(c.chw()[i]);
                int gg = c.channels() >= 3 ? u8(c.chw()[plane + i]) : r;
                int b = c.channels() >= 3 ? u8(c.chw()[2 * plane + i]) : r;
                img.setRGB(x, y, (r << 16) | (gg << 8) | b);
            }
        }
        return img;
    }

    private static int u8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }

    public static void write(Path png, BufferedImage img) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", bos);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = bos.toByteArray();
        AtomicFile.write(png, ch -> SafeTensors.writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
