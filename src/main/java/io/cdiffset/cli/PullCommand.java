package io.cdiffset.cli;

import io.cdiffset.hub.HubEnv;
import io.cdiffset.hub.Pull;
import io.cdiffset.hub.RepoId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model repo from the Hugging Face Hub into the huggingface_hub cache, shared with Python tools:",
                "$HF_HUB_CACHE, else $HF_HOME/hub (default ~/.cache/huggingface/hub).",
                "Interrupted downloads resume; LFS files are checked against their SHA-256. Prints the snapshot folder.",
                "Afterwards --model ORG/NAME and --unet ORG/NAME/FILE read from the cache (they never download).",
                "HF_ENDPOINT, HF_HUB_OFFLINE=1 and HF_TOKEN are honoured."})
final class PullCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REPO_ID", description = "model repo, e.g. stabilityai/stable-diffusion-2-1-base")
    String repo;
    @Option(names = "--revision", paramLabel = "REV", defaultValue = Pull.DEFAULT_REVISION, description = "branch, tag or commit (default: ${DEFAULT-VALUE})")
    String revision;
    @Option(names = "--include", arity = "1..*", paramLabel = "GLOB", description = "only files whose repo path matches (fnmatch: 'unet/*', '*.json'); default: all")
    List<String> include = new ArrayList<>();
    @Option(names = "--token-file", paramLabel = "FILE", description = "file holding a Hugging Face access token (default: $HF_TOKEN, else $HF_HOME/token)")
    Path tokenFile;

    @Override
    public Integer call() {
        HubEnv env = HubEnv.system();
        Pull.Result r = new Pull(env, m -> System.err.println("cdiffset: " + m))
                .pull(new RepoId(repo), revision, include, tokenFile, path -> new ConsoleProgress(path));
        System.err.printf(Locale.ROOT, "%s@%s (commit %s): %d file(s), %d downloaded (%.1f MB); cache %s%n", r.repo(), revision,
                r.commit().substring(0, 12), r.files(), r.fetched(), r.downloaded() / 1e6, env.cache());
        System.out.println(r.snapshot());
        return 0;
    }
}
