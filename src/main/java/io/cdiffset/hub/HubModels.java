package io.cdiffset.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a model argument ({@code --model}, {@code --unet}, a config's {@code model.base} ...) that names a Hub repo is
 * found: the one place that maps {@code ORG/NAME[@REVISION][/PATH]} onto the huggingface_hub cache. It never
 * downloads: a repo that is not cached is an error that says to run {@code cdiffset pull ORG/NAME}.
 *
 * <p>A path that exists on disk always wins, so a local folder named like a repo ({@code models/default}) is used as
 * is. Otherwise an argument of at least two parts whose first two form a repo id is looked up: {@code ORG/NAME} gives
 * the snapshot folder of {@code refs/main}, {@code ORG/NAME@v1.0} that of another pulled revision, and any further
 * parts name a file or folder inside it ({@code ORG/NAME/unet/diffusion_pytorch_model.safetensors}).
 */
public final class HubModels {
    private HubModels() {}

    /** {@link #resolve(Path, HubEnv)} with the process environment; null stays null. */
    public static Path resolve(Path arg) {
        return arg == null ? null : resolve(arg, HubEnv.system());
    }

    public static Path resolve(Path arg, HubEnv env) {
        if (arg == null || Files.exists(arg)) return arg;
        Optional<Ref> ref = Ref.parse(arg.toString());
        if (ref.isEmpty()) return arg; // not a repo id: the caller reports the missing path as before
        Ref r = ref.get();
        HubCache cache = new HubCache(env.cache());
        Path snapshot = cache.snapshotOf(r.repo(), r.revision()).orElseThrow(() -> new HubException(arg + ": no such file or folder, and "
                + r.repo() + (r.revision().equals(Pull.DEFAULT_REVISION) ? "" : " at " + r.revision()) + " is not in the Hugging Face cache ("
                + env.cache() + "); run: cdiffset pull " + r.repo() + (r.revision().equals(Pull.DEFAULT_REVISION) ? "" : " --revision " + r.revision())));
        if (r.path().isEmpty()) return snapshot;
        Path inside = snapshot.resolve(r.path());
        if (!Files.exists(inside)) {
            throw new HubException(arg + ": " + r.path() + " is not in the cached snapshot of " + r.repo() + " (" + snapshot
                    + "); run: cdiffset pull " + r.repo() + " --include '" + r.path() + "'");
        }
        return inside;
    }

    /** {@code ORG/NAME[@REV][/PATH]} split into its parts. */
    record Ref(RepoId repo, String revision, String path) {
        static Optional<Ref> parse(String s) {
            String[] parts = s.replace('\\', '/').split("/", 3);
            if (parts.length < 2 || s.startsWith("/") || s.startsWith(".")) return Optional.empty();
            String name = parts[1], revision = Pull.DEFAULT_REVISION;
            int at = name.indexOf('@');
            if (at > 0) {
                revision = name.substring(at + 1);
                name = name.substring(0, at);
                if (revision.isEmpty()) return Optional.empty();
            }
            String id = parts[0] + "/" + name;
            if (!RepoId.isValid(id)) return Optional.empty();
            String path = parts.length == 3 ? parts[2] : "";
            if (path.equals("..") || path.startsWith("../") || path.contains("/../") || path.endsWith("/..")) return Optional.empty();
            return Optional.of(new Ref(new RepoId(id), revision, path));
        }
    }
}
