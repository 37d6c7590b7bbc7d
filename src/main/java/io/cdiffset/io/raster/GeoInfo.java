package io.cdiffset.io.raster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * GeoTIFF georeferencing of a raster, kept as the raw tag values so it can be written back unchanged, plus the
 * derived GDAL-style geotransform.
 *
 * @param geoTransform        GDAL order {x0, dx, rx, y0, ry, dy} (pixel-corner based, as GDAL reports it; a
 *                            PixelIsPoint raster is shifted by half a pixel exactly like GDAL does), or null when
 *                            the tags do not define an affine transform (e.g. GCPs only)
 * @param pixelScale          ModelPixelScaleTag 33550 (or null)
 * @param tiePoints           ModelTiepointTag 33922 (or null)
 * @param modelTransformation ModelTransformationTag 34264, 16 values (or null)
 * @param geoKeyDirectory     GeoKeyDirectoryTag 34735 as unsigned shorts stored in a short[] (or null)
 * @param geoDoubleParams     GeoDoubleParamsTag 34736 (or null)
 * @param geoAsciiParams      GeoAsciiParamsTag 34737 without the trailing NUL (or null)
 * @param noData              GDAL_NODATA tag 42113 as text, e.g. "0" or "-9999" (or null)
 *                            <p>
 *                            Arrays are cloned on construction; do not mutate the ones returned by the accessors.
 */
public record GeoInfo(double[] geoTransform, double[] pixelScale, double[] tiePoints, double[] modelTransformation,
                      short[] geoKeyDirectory, double[] geoDoubleParams, String geoAsciiParams, String noData) {

    public static final int TAG_MODEL_PIXEL_SCALE = 33550;
    public static final int TAG_MODEL_TIEPOINT = 33922;
    public static final int TAG_MODEL_TRANSFORMATION = 34264;
    public static final int TAG_GEO_KEY_DIRECTORY = 34735;
    public static final int TAG_GEO_DOUBLE_PARAMS = 34736;
    public static final int TAG_GEO_ASCII_PARAMS = 34737;
    public static final int TAG_GDAL_NODATA = 42113;

    public static final int KEY_GT_MODEL_TYPE = 1024;
    public static final int KEY_GT_RASTER_TYPE = 1025;
    public static final int KEY_GEOGRAPHIC_TYPE = 2048;
    public static final int KEY_PROJECTED_CS_TYPE = 3072;

    public GeoInfo {
        geoTransform = geoTransform == null ? null : geoTransform.clone();
        if (geoTransform != null && geoTransform.length != 6) {
            throw new IllegalArgumentException("geoTransform needs 6 values, got " + geoTransform.length);
        }
        pixelScale = pixelScale == null ? null : pixelScale.clone();
        tiePoints = tiePoints == null ? null : tiePoints.clone();
        modelTransformation = modelTransformation == null ? null : modelTransformation.clone();
        geoKeyDirectory = geoKeyDirectory == null ? null : geoKeyDirectory.clone();
        geoDoubleParams = geoDoubleParams == null ? null : geoDoubleParams.clone();
    }

    /**
     * Why this georeferencing cannot be trusted, or null if it can: the geotransform (and the pixel scale, tie points
     * and model transformation it comes from) must be finite, and the pixel size non-zero (a non-degenerate affine
     * map). Garbage (e.g. a NaN pixel scale) must not be copied to an output as if it were a location.
     */
    public String problem() {
        for (double[] a : new double[][]{pixelScale, tiePoints, modelTransformation, geoTransform}) {
            if (a != null) {
                for (double v : a) {
                    if (!Double.isFinite(v)) {
                        String what = a == pixelScale ? "pixel scale" : a == tiePoints ? "tie point"
                                : a == modelTransformation ? "model transformation" : "geotransform";
                        return "its " + what + " " + Arrays.toString(a) + " is not finite";
                    }
                }
            }
        }
        if (geoTransform != null) {
            double det = geoTransform[1] * geoTransform[5] - geoTransform[2] * geoTransform[4];
            if (det == 0 || !Double.isFinite(det)) {
                return "its geotransform " + Arrays.toString(geoTransform) + " has a zero pixel size";
            }
        }
        return null;
    }

    /**
     * Builds a GeoInfo from raw GeoTIFF tag values (any may be null) and derives the geotransform like GDAL:
     * ModelTransformation if present, else a single tiepoint + pixel scale.
     */
    public static GeoInfo fromTags(double[] pixelScale, double[] tiePoints, double[] modelTransformation,
                                   short[] geoKeyDirectory, double[] geoDoubleParams, String geoAsciiParams,
                                   String noData) {
        double[] gt = null;
        if (modelTransformation != null && modelTransformation.length >= 16) {
            double[] m = modelTransformation;
            gt = new double[]{m[3], m[0], m[1], m[7], m[4], m[5]};
        } else if (tiePoints != null && tiePoints.length >= 6 && pixelScale != null && pixelScale.length >= 2) {
            double sx = pixelScale[0];
            double sy = pixelScale[1];
            gt = new double[]{tiePoints[3] - tiePoints[0] * sx, sx, 0, tiePoints[4] + tiePoints[1] * sy, 0, -sy};
        }
        if (gt != null && keyValue(geoKeyDirectory, KEY_GT_RASTER_TYPE) == 2) { // RasterPixelIsPoint
            gt[0] -= 0.5 * gt[1] + 0.5 * gt[2];
            gt[3] -= 0.5 * gt[4] + 0.5 * gt[5];
        }
        return new GeoInfo(gt, pixelScale, tiePoints, modelTransformation, geoKeyDirectory, geoDoubleParams,
                geoAsciiParams, noData);
    }

    /**
     * New georeferencing from a GDAL geotransform and an EPSG code (projected CRS, or geographic when the code is
     * in 4000..4999; {@code epsg <= 0} writes no CRS key). PixelIsArea. Use this for outputs whose input had no
     * GeoTIFF tags.
     */
    public static GeoInfo fromGeoTransform(double[] gt, int epsg) {
        if (gt == null || gt.length != 6) {
            throw new IllegalArgumentException("geotransform needs 6 values");
        }
        double[] scale = null;
        double[] tie = null;
        double[] mt = null;
        if (gt[2] == 0 && gt[4] == 0) {
            scale = new double[]{gt[1], -gt[5], 0};
            tie = new double[]{0, 0, 0, gt[0], gt[3], 0};
        } else {
            mt = new double[]{gt[1], gt[2], 0, gt[0], gt[4], gt[5], 0, gt[3], 0, 0, 0, 0, 0, 0, 0, 1};
        }
        List<int[]> keys = new ArrayList<>();
        boolean geographic = epsg >= 4000 && epsg <= 4999;
        if (epsg > 0) {
            keys.add(new int[]{KEY_GT_MODEL_TYPE, 0, 1, geographic ? 2 : 1});
        }
        keys.add(new int[]{KEY_GT_RASTER_TYPE, 0, 1, 1});
        if (epsg > 0) {
            keys.add(new int[]{geographic ? KEY_GEOGRAPHIC_TYPE : KEY_PROJECTED_CS_TYPE, 0, 1, epsg});
        }
        short[] dir = new short[4 + 4 * keys.size()];
        dir[0] = 1;
        dir[1] = 1;
        dir[2] = 0;
        dir[3] = (short) keys.size();
        for (int i = 0; i < keys.size(); i++) {
            for (int j = 0; j < 4; j++) {
                dir[4 + 4 * i + j] = (short) keys.get(i)[j];
            }
        }
        return fromTags(scale, tie, mt, dir, null, null, null);
    }

    /** EPSG code from ProjectedCSTypeGeoKey (3072), else GeographicTypeGeoKey (2048); -1 if absent or user-defined. */
    public int epsgCode() {
        int v = keyValue(geoKeyDirectory, KEY_PROJECTED_CS_TYPE);
        if (v <= 0 || v == 32767) {
            v = keyValue(geoKeyDirectory, KEY_GEOGRAPHIC_TYPE);
        }
        return v <= 0 || v == 32767 ? -1 : v;
    }

    /** Value of a SHORT GeoKey stored directly in the directory (TIFFTagLocation 0), or -1 if absent. */
    public int geoKey(int keyId) {
        return keyValue(geoKeyDirectory, keyId);
    }

    /** True for GTRasterTypeGeoKey = RasterPixelIsPoint. */
    public boolean isPixelIsPoint() {
        return keyValue(geoKeyDirectory, KEY_GT_RASTER_TYPE) == 2;
    }

    /** Same georeferencing with a different GDAL_NODATA value (null removes it). */
    public GeoInfo withNoData(String nd) {
        return new GeoInfo(geoTransform, pixelScale, tiePoints, modelTransformation, geoKeyDirectory, geoDoubleParams,
                geoAsciiParams, nd);
    }

    /**
     * Georeferencing of the sub-window whose top-left pixel is (x, y) in this raster: the origin is shifted, the
     * CRS keys, scale and rotation are unchanged. Used when tiles of a scene are written as separate files.
     */
    public GeoInfo window(int x, int y) {
        double[] mt = null;
        if (modelTransformation != null) {
            mt = modelTransformation.clone();
            if (mt.length >= 16) {
                mt[3] += mt[0] * x + mt[1] * y;
                mt[7] += mt[4] * x + mt[5] * y;
            }
        }
        double[] tp = null;
        if (tiePoints != null) {
            tp = tiePoints.clone();
            if (tp.length == 6 && pixelScale != null && pixelScale.length >= 2) {
                double sx = pixelScale[0];
                double sy = pixelScale[1];
                double mx = tp[3] + (x - tp[0]) * sx;
                double my = tp[4] - (y - tp[1]) * sy;
                tp[0] = 0;
                tp[1] = 0;
                tp[3] = mx;
                tp[4] = my;
            } else {
                for (int i = 0; i + 5 < tp.length; i += 6) {
                    tp[i] -= x;
                    tp[i + 1] -= y;
                }
            }
        }
        return fromTags(pixelScale, tp, mt, geoKeyDirectory, geoDoubleParams, geoAsciiParams, noData);
    }

    static int keyValue(short[] dir, int keyId) {
        if (dir == null || dir.length < 4) {
            return -1;
        }
        int n = dir[3] & 0xFFFF;
        for (int i = 0; i < n && 4 + 4 * i + 3 < dir.length; i++) {
            int k = dir[4 + 4 * i] & 0xFFFF;
            int loc = dir[4 + 4 * i + 1] & 0xFFFF;
            if (k == keyId && loc == 0) {
                return dir[4 + 4 * i + 3] & 0xFFFF;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GeoInfo g)) {
            return false;
        }
        return Arrays.equals(geoTransform, g.geoTransform) && Arrays.equals(pixelScale, g.pixelScale)
                && Arrays.equals(tiePoints, g.tiePoints) && Arrays.equals(modelTransformation, g.modelTransformation)
                && Arrays.equals(geoKeyDirectory, g.geoKeyDirectory) && Arrays.equals(geoDoubleParams, g.geoDoubleParams)
                && Objects.equals(geoAsciiParams, g.geoAsciiParams) && Objects.equals(noData, g.noData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(geoTransform), Arrays.hashCode(pixelScale), Arrays.hashCode(tiePoints),
                Arrays.hashCode(modelTransformation), Arrays.hashCode(geoKeyDirectory),
                Arrays.hashCode(geoDoubleParams), geoAsciiParams, noData);
    }

    @Override
    public String toString() {
        return "GeoInfo[geoTransform=" + Arrays.toString(geoTransform) + ", epsg=" + epsgCode()
                + (noData != null ? ", noData=" + noData : "") + "]";
    }
}
