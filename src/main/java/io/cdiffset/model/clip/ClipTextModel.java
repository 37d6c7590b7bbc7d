package io.cdiffset.model.clip;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.WeightKeys;
import io.cdiffset.nn.Embedding;
import io.cdiffset.nn.LayerNorm;
import io.cdiffset.nn.Linear;
import io.cdiffset.nn.Module;
import io.cdiffset.nn.ModuleList;
import io.cdiffset.nn.Node;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;

/** transformers CLIPTextModel: token + position embeddings, causal pre-LN encoder, final LayerNorm (last_hidden_state). */
public final class ClipTextModel extends Module {
    private final ClipTextConfig config;
    private final Embedding tokenEmbedding;
    private final Embedding positionEmbedding;
    private final ModuleList<Layer> layers;
    private final LayerNorm finalNorm;

    public ClipTextModel(ClipTextConfig c) {
        this.config = c;
        Node tm = child("text_model", new Node());
        Node emb = tm.add("embeddings", new Node());
        tokenEmbedding = emb.add("token_embedding", new Embedding(c.vocabSize(), c.hiddenSize()));
        positionEmbedding = emb.add("position_embedding", new Embedding(c.maxPositions(), c.hiddenSize()));
        Node enc = tm.add("encoder", new Node());
        layers = enc.add("layers", new ModuleList<>());
        for (int i = 0; i < c.layers(); i++) layers.add(new Layer(c));
        finalNorm = tm.add("final_layer_norm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
    }

    public static ClipTextModel load(Path configJson, Path weights) {
        ClipTextModel m = new ClipTextModel(ClipTextConfig.from(ConfigJson.read(configJson)));
        m.load(WeightKeys.textFromAny(WeightFiles.read(weights)), weights.toString());
        return m;
    }

    public ClipTextConfig config() {
        return config;
    }

    /** ids [B, L] (int64), L ≤ max positions → last_hidden_state [B, L, hidden]. */
    public Tensor forward(Tensor ids) {
        long l = ids.size(1);
        if (l > config.maxPositions()) throw new IllegalArgumentException(l + " tokens exceed the text encoder's " + config.maxPositions() + " positions");
        Tensor pos = torch.arange(new Scalar(l), Tensors.options(org.bytedeco.pytorch.global.torch.ScalarType.Long));
        Tensor h = tokenEmbedding.forward(ids).add(positionEmbedding.forward(pos).unsqueeze(0));
        for (Layer layer : layers) h = layer.forward(h);
        return finalNorm.forward(h);
    }

    static final class Layer extends Module {
        private final int heads;
        private final boolean quickGelu;
        private final LayerNorm ln1;
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear o;
        private final LayerNorm ln2;
        private final Linear fc1;
        private final Linear fc2;

        Layer(ClipTextConfig c) {
            heads = c.heads();
            quickGelu = c.hiddenAct().equals("quick_gelu");
            long d = c.hiddenSize();
            Node attn = child("self_attn", new Node());
            k = attn.add("k_proj", new Linear(d, d));
            v = attn.add("v_proj", new Linear(d, d));
            q = attn.add("q_proj", new Linear(d, d));
            o = attn.add("out_proj", new Linear(d, d));
            ln1 = child("layer_norm1", new LayerNorm(d, c.layerNormEps()));
            Node mlp = child("mlp", new Node());
            fc1 = mlp.add("fc1", new Linear(d, c.intermediateSize()));
            fc2 = mlp.add("fc2", new Linear(c.intermediateSize(), d));
            ln2 = child("layer_norm2", new LayerNorm(d, c.layerNormEps()));
        }

        Tensor forward(Tensor h) {
            long b = h.size(0), l = h.size(1);
            Tensor x = ln1.forward(h);
            Tensor qq = q.forward(x).view(b, l, heads, -1).transpose(1, 2);
            Tensor kk = k.forward(x).view(b, l, heads, -1).transpose(1, 2);
            Tensor vv = v.forward(x).view(b, l, heads, -1).transpose(1, 2);
            Tensor a = io.cdiffset.nn.Attention.sdpa(qq, kk, vv, true);
            h = h.add(o.forward(a.transpose(1, 2).reshape(b, l, -1)));
            Tensor m = fc1.forward(ln2.forward(h));
            m = quickGelu ? m.mul(torch.sigmoid(m.mul(new Scalar(1.702)))) : torch.gelu(m);
            return h.add(fc2.forward(m));
        }
    }
}
