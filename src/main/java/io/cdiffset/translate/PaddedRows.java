package io.cdiffset.translate;

/**
 * The SAR input of {@link SceneTranslator} padded to {@code hp × wp} on the bottom and right exactly as
 * {@link SceneTranslator#reflectPad} does (mirror, edge pixel not repeated; edge replication for 1-pixel sides),
 * built one row of windows at a time from a {@link SarSource}: only the band of rows the current windows cover is
 * held (3 × tile × wp floats).
 */
final class PaddedRows {
    private final SarSource source;
    private final int h;
    private final int w;
    private final int wp;
    private float[] band;
    private int bandY = -1;
    private int bandRows;

    PaddedRows(SarSource source, int h, int w, int hp, int wp) {
        this.source = source;
        this.h = h;
        this.w = w;
        this.wp = wp;
    }

    /** Copies window {@code win} (padded coordinates) into {@code dst} at {@code off}, CHW. */
    void copyWindow(SceneTranslator.Window win, float[] dst, int off) {
        if (band == null || bandY != win.y() || bandRows != win.h()) load(win.y(), win.h());
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < win.h(); y++) {
                System.arraycopy(band, c * bandRows * wp + y * wp + win.x(), dst, off + c * win.h() * win.w() + y * win.w(), win.w());
            }
        }
    }

    private void load(int y0, int rows) {
        band = null; // let the previous band go before the next is read
        int lo = Integer.MAX_VALUE, hi = -1;
        for (int y = y0; y < y0 + rows; y++) {
            int s = SceneTranslator.mirror(y, h);
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
        }
        int n = hi + 1 - lo;
        float[] src = source.rows(lo, hi + 1);
        if (src.length != 3L * n * w) {
            throw new IllegalStateException("SAR source returned " + src.length + " values for rows " + lo + ".." + hi + ", expected " + 3L * n * w);
        }
        if (wp == w && y0 + rows <= h) {
            band = src; // no padding needed in this band: rows y0.. are source rows lo.. with lo == y0
        } else {
            float[] out = new float[3 * rows * wp];
            int[] mx = new int[wp];
            for (int x = 0; x < wp; x++) mx[x] = SceneTranslator.mirror(x, w);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < rows; y++) {
                    int srcRow = c * n * w + (SceneTranslator.mirror(y0 + y, h) - lo) * w;
                    int dstRow = c * rows * wp + y * wp;
                    for (int x = 0; x < wp; x++) out[dstRow + x] = src[srcRow + mx[x]];
                }
            }
            band = out;
        }
        bandY = y0;
        bandRows = rows;
    }
}
