package io.cdiffset.hub;

import java.util.regex.Pattern;

/**
 * A Hugging Face model repo id, {@code ORG/NAME} (or a bare legacy {@code NAME}), validated as huggingface_hub's
 * {@code validate_repo_id} does: letters, digits, {@code - _ .}, at most 96 characters a part, no {@code --} or
 * {@code ..}. Only model repos are handled.
 */
public record RepoId(String id) {
    private static final Pattern VALID = Pattern.compile("([\\w.-]+/)?[\\w.-]{1,96}");

    public RepoId {
        if (!isValid(id)) {
            throw new HubException("'" + id + "' is not a Hugging Face repo id; expected ORG/NAME, e.g. stabilityai/stable-diffusion-2-1-base");
        }
    }

    public static boolean isValid(String s) {
        return s != null && VALID.matcher(s).matches() && !s.contains("--") && !s.contains("..")
                && !s.startsWith(".") && !s.startsWith("-") && !s.endsWith(".") && !s.endsWith("-");
    }

    /** The cache folder name, {@code models--ORG--NAME} (huggingface_hub's {@code repo_folder_name}). */
    public String folderName() {
        return "models--" + id.replace("/", "--");
    }

    @Override
    public String toString() {
        return id;
    }
}
