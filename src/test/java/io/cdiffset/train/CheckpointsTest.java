package io.cdiffset.train;

import io.cdiffset.io.AtomicFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** keep_checkpoints never deletes the checkpoint just written, the one latest names, or the one best/ came from. */
class CheckpointsTest {
    static Path save(Checkpoints cps, long step, int keep) {
        return cps.save(step, dir -> {
            Files.writeString(dir.resolve("weights.bin"), "weights of step " + step);
            AtomicFile.writeString(dir.resolve(Checkpoints.STATE_FILE), "{\"step\":" + step + "}");
        }, keep);
    }

    static List<String> names(Checkpoints cps) throws Exception {
        try (Stream<Path> s = Files.list(cps.root())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted().toList();
        }
    }

    @Test
    void theCheckpointJustWrittenIsKeptBesideHigherNumberedOnes(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        save(cps, 500, 2);
        save(cps, 600, 2);
        // a run started again at step 0 in the same folder: its first checkpoint sorts before the old ones
        Path cp = save(cps, 50, 2);
        assertTrue(Files.exists(cp.resolve(Checkpoints.STATE_FILE)), "the new checkpoint survives its own retention");
        assertEquals("step-0000050", Files.readString(cps.root().resolve("latest")).trim());
        assertEquals(cp, cps.latest());
        assertEquals(List.of("step-0000050", "step-0000600"), names(cps), "the oldest other one goes");
    }

    @Test
    void theCheckpointBestCameFromIsKept(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        cps.markBest(save(cps, 2, 1), "step 2 psnr 20.0");
        save(cps, 4, 1);
        assertEquals(List.of("step-0000002", "step-0000004"), names(cps));
        save(cps, 6, 1);
        assertEquals(List.of("step-0000002", "step-0000006"), names(cps), "best's source and the newest");
        cps.markBest(cps.root().resolve("step-0000006"), "step 6 psnr 21.0");
        save(cps, 8, 1);
        assertEquals(List.of("step-0000006", "step-0000008"), names(cps));
    }
}
