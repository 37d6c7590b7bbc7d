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

/** PNG pictures for people: loss curves and labelled image grids (headless Java2D). */
public final class Pictures {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Pictures() {}

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
        Color[] palette = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)};
        for (int si = 0; si < series.size(); si++) {
            double[][] s = series.get(si);
            Color c = palette[si % palette.length];
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
