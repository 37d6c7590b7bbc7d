import io.cdiffset.io.Pictures;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds docs/example.png (SAR | generated EO | confidence | real EO, one row per sample) from the README's first
 * command's output. Run from the repository root after {@code ./cdiffset translate samples/sar -o out/ --confidence}:
 * <pre>java -cp "target/cdiffset.jar:$(cat target/classpath.txt)" docs/ExampleFigure.java out docs/example.png</pre>
 */
public class ExampleFigure {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "out"), png = Path.of(args.length > 1 ? args[1] : "docs/example.png");
        List<Path> sars;
        try (Stream<Path> s = Files.list(Path.of("samples/sar"))) {
            sars = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        List<List<Pictures.Cell>> rows = new ArrayList<>();
        for (Path sar : sars) {
            String name = sar.getFileName().toString();
            String stem = name.substring(0, name.length() - 4);
            rows.add(List.of(cell(sar), cell(out.resolve(name)), cell(out.resolve(stem + "_confidence.png")),
                    cell(Path.of("samples/eo", name))));
        }
        Pictures.grid(png, List.of("SAR (Sentinel-1 VH)", "generated EO", "confidence", "real EO (Sentinel-2)"), rows, 256);
        System.out.println(png);
    }

    private static Pictures.Cell cell(Path file) {
        Raster r = Rasters.read(file);
        float[] f = new float[r.data().length];
        for (int i = 0; i < f.length; i++) f[i] = r.data()[i] / 255f;
        return new Pictures.Cell(f, r.bands(), r.height(), r.width());
    }
}
