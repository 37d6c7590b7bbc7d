package io.cdiffset.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitsTest {

    @TempDir
    Path dir;

    private static void assertPartition(Split s, int n) {
        int[] all = IntStream.concat(Arrays.stream(s.train()), Arrays.stream(s.test())).sorted().toArray();
        assertArrayEquals(IntStream.range(0, n).toArray(), all);
    }

    @Test
    void random8020IsReproducibleAndPartitions() {
        PairDataset ds = Fixtures.refs(Fixtures.groupedRefs(50, 1));
        Split a = Splits.random(ds, 0.8, 7);
        Split b = Splits.random(ds, 0.8, 7);
        assertEquals(a, b);
        assertEquals(40, a.train().length);
        assertEquals(10, a.test().length);
        assertPartition(a, 50);
        assertNotEquals(a, Splits.random(ds, 0.8, 8));
        assertEquals(35, Splits.random(ds, 0.7, 7).train().length);
        assertEquals(50, Splits.random(ds, 1.0, 7).train().length);
    }

    @Test
    void byGroupNeverStraddles() {
        PairDataset ds = Fixtures.refs(Fixtures.groupedRefs(10, 4));
        for (long seed = 0; seed < 20; seed++) {
            Split s = Splits.byGroup(ds, 0.8, seed);
            assertPartition(s, 40);
            Set<String> trainGroups = new HashSet<>();
            for (int i : s.train()) {
                trainGroups.add(ds.ref(i).group());
            }
            for (int i : s.test()) {
                assertFalse(trainGroups.contains(ds.ref(i).group()), "group " + ds.ref(i).group() + " straddles");
            }
            assertEquals(8 * 4, s.train().length);
            assertEquals(s, Splits.byGroup(ds, 0.8, seed));
        }
    }

    @Test
    void spaceNet6StripsNeverStraddle() {
        DatasetsTest.spaceNet6(dir, 4, 3);
        PairDataset ds = Datasets.open(dir, "auto");
        Split s = Splits.byGroup(ds, 0.5, 1);
        assertEquals(6, s.train().length);
        Set<String> train = new HashSet<>();
        for (int i : s.train()) {
            train.add(ds.ref(i).group());
        }
        for (int i : s.test()) {
            assertFalse(train.contains(ds.ref(i).group()));
        }
    }

    @Test
    void listFiles() throws IOException {
        PairDataset ds = Fixtures.refs(Fixtures.groupedRefs(3, 2)); // ids g0_0 g0_1 g1_0 g1_1 g2_0 g2_1
        Path test = dir.resolve("test.txt");
        Files.writeString(test, "# held out\ng1_0\n\ng2_1\n");
        Split s = Splits.fromList(ds, test);
        assertArrayEquals(new int[]{2, 5}, s.test());
        assertArrayEquals(new int[]{0, 1, 3, 4}, s.train());
        Path train = dir.resolve("train.txt");
        Files.writeString(train, "g0_0\ng0_1\n");
        Split s2 = Splits.fromLists(ds, train, test);
        assertArrayEquals(new int[]{0, 1}, s2.train());
        assertArrayEquals(new int[]{2, 5}, s2.test());
        Files.writeString(test, "g1_0\nnope\n");
        DataException e = assertThrows(DataException.class, () -> Splits.fromList(ds, test));
        assertTrue(e.getMessage().contains("unknown id 'nope'") && e.getMessage().contains("test.txt line 2"),
                e.getMessage());
        Path out = dir.resolve("written.txt");
        Splits.writeIds(out, ds, new int[]{1, 4});
        assertEquals("g0_1\ng2_0\n", Files.readString(out));
        assertThrows(DataException.class, () -> Splits.fromList(ds, dir.resolve("absent.txt")));
    }

    @Test
    void columnRequiresValues() {
        PairDataset ds = Fixtures.refs(Fixtures.groupedRefs(1, 2));
        assertFalse(Splits.hasColumn(ds));
        DataException e = assertThrows(DataException.class, () -> Splits.fromColumn(ds));
        assertTrue(e.getMessage().contains("g0_0"), e.getMessage());
    }
}
