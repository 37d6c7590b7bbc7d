package io.cdiffset.io.raster;

import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** TIFF block codecs. Decoders never read or write out of bounds; malformed input raises {@link CodecException}. */
final class Codecs {

    static final class CodecException extends Exception {
        private static final long serialVersionUID = 1L;

        CodecException(String msg) {
            super(msg);
        }
    }

    private Codecs() {
    }

    /** zlib/Deflate (TIFF compression 8 and 32946). Returns exactly {@code expected} bytes or fails. */
    static byte[] inflate(byte[] in, int expected) throws CodecException {
        byte[] out = new byte[expected];
        Inflater inf = new Inflater();
        try {
            inf.setInput(in);
            int n = 0;
            while (n < expected) {
                int r = inf.inflate(out, n, expected - n);
                n += r;
                if (r == 0) {
                    if (inf.finished() || inf.needsInput()) {
                        break;
                    }
                    if (inf.needsDictionary()) {
                        throw new CodecException("Deflate stream needs a preset dictionary");
                    }
                }
            }
            if (n < expected) {
                throw new CodecException("Deflate data decodes to " + n + " bytes, expected " + expected
                        + " (truncated)");
            }
            return out;
        } catch (DataFormatException e) {
            throw new CodecException("invalid Deflate data (" + e.getMessage() + ")");
        } finally {
            inf.end();
        }
    }

    static byte[] deflate(byte[] in, int off, int len) {
        Deflater d = new Deflater(6);
        try {
            d.setInput(in, off, len);
            d.finish();
            byte[] buf = new byte[Math.max(64, len / 2 + 64)];
            int n = 0;
            while (!d.finished()) {
                if (n == buf.length) {
                    buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                }
                n += d.deflate(buf, n, buf.length - n);
            }
            return java.util.Arrays.copyOf(buf, n);
        } finally {
            d.end();
        }
    }

    /** PackBits (TIFF compression 32773). */
    static byte[] unpackBits(byte[] in, int expected) throws CodecException {
        byte[] out = new byte[expected];
        int ip = 0;
        int op = 0;
        while (op < expected && ip < in.length) {
            int n = in[ip++];
            if (n >= 0) {
                int cnt = n + 1;
                if (ip + cnt > in.length) {
                    throw new CodecException("PackBits literal run past the end of the data (truncated)");
                }
                cnt = Math.min(cnt, expected - op);
                System.arraycopy(in, ip, out, op, cnt);
                ip += n + 1;
                op += cnt;
            } else if (n != -128) {
                if (ip >= in.length) {
                    throw new CodecException("PackBits repeat run past the end of the data (truncated)");
                }
                byte b = in[ip++];
                int cnt = Math.min(1 - n, expected - op);
                for (int i = 0; i < cnt; i++) {
                    out[op++] = b;
                }
            }
        }
        if (op < expected) {
            throw new CodecException("PackBits data decodes to " + op + " bytes, expected " + expected
                    + " (truncated)");
        }
        return out;
    }

    /** TIFF LZW (compression 5): MSB-first codes, 9..12 bits, early change. */
    static byte[] lzw(byte[] in, int expected) throws CodecException {
        if (in.length >= 2 && in[0] == 0 && (in[1] & 1) == 1) {
            throw new CodecException("old-style (pre-TIFF 6.0) LZW is not supported");
        }
        byte[] out = new byte[expected];
        int[] prefix = new int[4096];
        byte[] suffix = new byte[4096];
        byte[] first = new byte[4096];
        int[] length = new int[4096];
        for (int i = 0; i < 256; i++) {
            suffix[i] = (byte) i;
            first[i] = (byte) i;
            length[i] = 1;
        }
        int next = 258;
        int width = 9;
        int old = -1;
        int op = 0;
        long bitPos = 0;
        long totalBits = (long) in.length * 8;
        while (op < expected) {
            if (bitPos + width > totalBits) {
                break; // ran out of data without EOI; checked below
            }
            int code = 0;
            for (int i = 0; i < width; i++) {
                long p = bitPos + i;
                int bit = (in[(int) (p >>> 3)] >> (7 - (int) (p & 7))) & 1;
                code = (code << 1) | bit;
            }
            bitPos += width;
            if (code == 257) {
                break;
            }
            if (code == 256) {
                next = 258;
                width = 9;
                old = -1;
                continue;
            }
            if (old == -1) {
                if (code > 255) {
                    throw new CodecException("invalid LZW code " + code + " after clear code");
                }
                out[op++] = (byte) code;
                old = code;
                continue;
            }
            int emit;
            byte firstByte;
            if (code < next) {
                emit = code;
                firstByte = first[code];
            } else if (code == next) {
                emit = -1;
                firstByte = first[old];
            } else {
                throw new CodecException("invalid LZW code " + code + " (table has " + next + " entries)");
            }
            if (next < 4096) {
                prefix[next] = old;
                suffix[next] = firstByte;
                first[next] = first[old];
                length[next] = length[old] + 1;
                next++;
            }
            if (emit == -1) {
                emit = next - 1;
            }
            op = emitString(emit, prefix, suffix, length, out, op);
            if (next + 1 >= (1 << width) && width < 12) {
                width++;
            }
            old = code;
        }
        if (op < expected) {
            throw new CodecException("LZW data decodes to " + op + " bytes, expected " + expected + " (truncated)");
        }
        return out;
    }

    private static int emitString(int code, int[] prefix, byte[] suffix, int[] length, byte[] out, int op) {
        int len = length[code];
        int end = op + len;
        int c = code;
        for (int p = end - 1; p >= op; p--) {
            if (p < out.length) {
                out[p] = suffix[c];
            }
            c = prefix[c];
        }
        return Math.min(end, out.length);
    }
}
