package io.cdiffset.io.raster;

/**
 * Storage type of the samples a {@link Raster} was decoded from. The raster itself always holds the raw
 * sample values as {@code float}; this tells callers which value range to expect
 * (U8: 0..255, U16: 0..65535, F32/F64: anything).
 */
public enum SampleType {
    U8(8, false, false),
    U16(16, false, false),
    I16(16, true, false),
    U32(32, false, false),
    I32(32, true, false),
    F32(32, true, true),
    F64(64, true, true);

    private final int bits;
    private final boolean signed;
    private final boolean floating;

    SampleType(int bits, boolean signed, boolean floating) {
        this.bits = bits;
        this.signed = signed;
        this.floating = floating;
    }

    public int bits() {
        return bits;
    }

    public boolean isSigned() {
        return signed;
    }

    public boolean isFloatingPoint() {
        return floating;
    }
}
