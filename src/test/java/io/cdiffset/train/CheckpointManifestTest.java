package io.cdiffset.train;

import io.cdiffset.io.AtomicFile;
import io.cdiffset.model.ConfigJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Each checkpoint (and best/) carries a manifest; --resume verifies it and names the newest intact one. */
class CheckpointManifestTest {
    static Path save(Checkpoints cps, long step) {
        return cps.save(step, dir -> {
            Files.createDirectories(dir.resolve("unet"));
            Files.writeString(dir.resolve("unet/model.safetensors"), "weights of step " + step + " ".repeat(5000));
            AtomicFile.writeString(dir.resolve(Checkpoints.STATE_FILE), "{\"step\":" + step + "}");
        }, 0);
    }

    @Test
    void everyCheckpointCarriesAManifestOfItsFiles(@TempDir Path out) throws Exception {
        Path cp = save(new Checkpoints(out), 2);
        var m = ConfigJson.JSON.readTree(cp.resolve(Checkpoints.MANIFEST).toFile()).get("files");
        assertEquals(List.of(Checkpoints.STATE_FILE, "unet/model.safetensors"), iterate(m));
        assertEquals(Files.size(cp.resolve("unet/model.safetensors")), m.get("unet/model.safetensors").get("size").asLong());
        assertEquals(io.cdiffset.io.FileDigest.sha256(cp.resolve("unet/model.safetensors")), m.get("unet/model.safetensors").get("sha256").asText());
        assertNull(Checkpoints.damage(cp));
    }

    static List<String> iterate(com.fasterxml.jackson.databind.JsonNode n) {
        List<String> l = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(l::add);
        return l;
    }

    @Test
    void aTruncatedLatestCheckpointIsRefusedNamingTheNewestIntactOne(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        save(cps, 2);
        Path four = save(cps, 4);
        Path six = save(cps, 6);
        Path w = six.resolve("unet/model.safetensors");
        long size = Files.size(w);
        try (var ch = java.nio.channels.FileChannel.open(w, StandardOpenOption.WRITE)) {
            ch.truncate(1234);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cps.forResume(null));
        assertEquals(String.format(java.util.Locale.ROOT, "checkpoints/step-0000006 is damaged (unet/model.safetensors: 1,234 bytes, expected %,d); "
                + "resume from the newest intact one with --resume step-0000004", size), e.getMessage());
        assertEquals(four, cps.forResume("step-0000004"));
        assertEquals(four, cps.forResume("4"));
        e = assertThrows(IllegalArgumentException.class, () -> cps.forResume("6"));
        assertTrue(e.getMessage().endsWith("--resume step-0000004"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cps.forResume("5"));
        assertTrue(e.getMessage().contains("no checkpoint step-0000005") && e.getMessage().contains("--resume step-0000004"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cps.forResume("latest-ish"));
        assertTrue(e.getMessage().contains("step-0004000 or 4000"), e.getMessage());
    }

    @Test
    void anAlteredFileOrAMissingManifestIsDamage(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        Path two = save(cps, 2);
        Path four = save(cps, 4);
        byte[] b = Files.readAllBytes(four.resolve("unet/model.safetensors"));
        b[3] ^= 1; // same size, one bit flipped
        Files.write(four.resolve("unet/model.safetensors"), b);
        assertEquals("unet/model.safetensors: content differs from manifest.json (SHA-256)", Checkpoints.damage(four));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> cps.forResume("")).getMessage().endsWith("--resume step-0000002"));
        Files.delete(two.resolve(Checkpoints.MANIFEST));
        assertEquals("no manifest.json", Checkpoints.damage(two));
        String m = assertThrows(IllegalArgumentException.class, () -> cps.forResume(null)).getMessage();
        assertTrue(m.contains("is damaged") && m.contains("start over with --overwrite"), m);
        // a checkpoint with no manifest at all (an older cdiffset's) can still be resumed when asked for, unverified
        assertTrue(Checkpoints.isUnverified(two));
        assertEquals(two, cps.forResume("2"));
        assertFalse(Checkpoints.isUnverified(four));
    }

    @Test
    void bestIsARealCopyWithItsOwnManifest(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        Path cp = save(cps, 2);
        cps.markBest(cp, "step 2 psnr 20.0");
        Path best = out.resolve("best");
        assertNull(Checkpoints.damage(best));
        assertTrue(iterate(ConfigJson.JSON.readTree(best.resolve(Checkpoints.MANIFEST).toFile()).get("files")).contains("BEST.txt"));
        Object inode = Files.getAttribute(cp.resolve("unet/model.safetensors"), "unix:ino");
        assertNotEquals(inode, Files.getAttribute(best.resolve("unet/model.safetensors"), "unix:ino"), "best/ shares a file with the checkpoint");
        assertEquals(1, ((Number) Files.getAttribute(cp.resolve("unet/model.safetensors"), "unix:nlink")).intValue());
        // damaging the checkpoint in place leaves best/ intact
        Files.writeString(cp.resolve("unet/model.safetensors"), "garbage", StandardOpenOption.TRUNCATE_EXISTING);
        assertNull(Checkpoints.damage(best));
        assertNotNull(Checkpoints.damage(cp));
    }

    @Test
    void debrisOfAKilledRunIsRemovedAndAnInterruptedBestSwapIsUndone(@TempDir Path out) throws Exception {
        Checkpoints cps = new Checkpoints(out);
        Path cp = save(cps, 2);
        cps.markBest(cp, "step 2");
        Files.createDirectories(cps.root().resolve(".step-0000004.tmp/unet"));
        Files.writeString(cps.root().resolve(".step-0000004.tmp/unet/model.safetensors"), "half");
        Files.writeString(out.resolve(".log.csv.8812391.tmp"), "half");
        Files.writeString(cps.root().resolve(".latest.-42.tmp"), "half");
        Files.writeString(out.resolve("notes.tmp"), "the user's"); // not our pattern
        Files.writeString(out.resolve(".hidden.tmp"), "the user's");
        Files.move(out.resolve("best"), out.resolve(".best.old")); // killed between the two renames of markBest
        cps.removeDebris();
        assertFalse(Files.exists(cps.root().resolve(".step-0000004.tmp")));
        assertFalse(Files.exists(out.resolve(".log.csv.8812391.tmp")));
        assertFalse(Files.exists(cps.root().resolve(".latest.-42.tmp")));
        assertTrue(Files.exists(out.resolve("notes.tmp")));
        assertTrue(Files.exists(out.resolve(".hidden.tmp")));
        assertNull(Checkpoints.damage(out.resolve("best")), "best/ restored");
        assertFalse(Files.exists(out.resolve(".best.old")));
    }
}
