using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// The encoder and the accuracy predictor (seminas-method.md §2.1), as one module like the official
/// <c>Encoder</c>, so the state-dict keys are the official ones (embedding, rnn, out_proj, mlp.i, regressor).
/// </summary>
internal sealed class EpdEncoder : nn.Module
{
    // A static scalar, never a temporary: see CoupledAdam for why.
    private static readonly Scalar Half = Math.Sqrt(0.5).ToScalar();

    [ComponentName(Name = "embedding")] private readonly Embedding _embedding;
    [ComponentName(Name = "rnn")] private readonly LSTM _rnn;
    [ComponentName(Name = "out_proj")] private readonly Linear _outProj;
    [ComponentName(Name = "mlp")] private readonly ModuleList<Linear> _mlp;
    [ComponentName(Name = "regressor")] private readonly Linear _regressor;

    private readonly SeededDropout _dropout;
    private readonly PredictorActivation _activation;

    public EpdEncoder(EpdSettings settings, SeededDropout dropout) : base("encoder")
    {
        int h = settings.Hidden, hm = settings.MlpHidden;
        _embedding = nn.Embedding(settings.VocabularySize, h);
        _rnn = nn.LSTM(h, h, numLayers: 1, batchFirst: true, bidirectional: true);
        _outProj = nn.Linear(2 * h, h);
        _mlp = new ModuleList<Linear>();
        for (var i = 0; i < settings.MlpLayers; i++)
        {
            // As the official code: the first layer is H→Hm even when it is also the last one (then Hm = H).
            var (input, output) = i == 0 ? (h, hm) : i == settings.MlpLayers - 1 ? (hm, h) : (hm, hm);
            _mlp.Add(nn.Linear(input, output));
        }
        _regressor = nn.Linear(h, 1);
        _dropout = dropout;
        _activation = settings.OutputActivation;
        RegisterComponents();
    }

    public void ResetParameters(int hidden, Generator generator)
    {
        SeededInit.Embedding(_embedding, generator);
        SeededInit.Lstm(_rnn, hidden, generator);
        SeededInit.Linear(_outProj, generator);
        foreach (var layer in _mlp) SeededInit.Linear(layer, generator);
        SeededInit.Linear(_regressor, generator);
    }

    /// <summary>Tokens int64 [B, L] → per-token unit vectors [B, L, H] (also the decoder's attention memory).</summary>
    public Tensor Encode(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        var embedded = _dropout.Apply(_embedding.call(tokens), training);
        var (states, _, _) = LstmCalls.Run(_rnn, embedded);
        var projected = _outProj.call(states).add(embedded);
        return nn.functional.normalize(projected, 2, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Per-token outputs [B, L, H] → architecture embedding: the L2-normalised mean over tokens [B, H].</summary>
    public static Tensor ArchitectureEmbedding(Tensor encoderOutputs)
    {
        using var mean = encoderOutputs.mean([1]);
        return nn.functional.normalize(mean, 2, -1);
    }

    /// <summary>Architecture embedding [B, H] → predicted value [B].</summary>
    public Tensor Predict(Tensor archEmbedding)
    {
        using var scope = torch.NewDisposeScope();
        var z = archEmbedding;
        foreach (var layer in _mlp)
            z = _dropout.Apply(nn.functional.relu(layer.call(z)), training);
        var output = _regressor.call(z.add(archEmbedding).mul_(Half)).squeeze(-1);
        if (_activation == PredictorActivation.Sigmoid) output = output.sigmoid();
        return output.MoveToOuterDisposeScope();
    }
}
