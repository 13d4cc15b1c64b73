using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// NAO's encoder–predictor–decoder as used by SemiNAS (seminas-method.md §2): a BiLSTM encoder to per-token unit
/// vectors, a residual MLP that predicts the architecture's (normalised) accuracy from their normalised mean,
/// and an attention LSTM decoder that reconstructs the tokens. Parameters and state-dict keys match the official
/// PyTorch <c>NAO</c> module (e.g. 123,928 parameters for <see cref="EpdSettings.NasBench101"/>).
/// </summary>
/// <remarks>
/// Randomness: the weights are initialised, and training dropout masks are drawn, from a
/// <see cref="torch.Generator"/> owned by the model and seeded by the constructor's seed, never from torch's
/// global generator (<c>torch.manual_seed</c> has no effect here). <see cref="SaveRandomState"/> captures it.
/// <see cref="Predict(Tensor)"/> and <see cref="Generate(Tensor, double, IReadOnlyList{IReadOnlyCollection{int}})"/>
/// leave the model in eval mode; <see cref="EpdTrainer"/> switches to train mode at every epoch.
/// Threads: at these sizes one torch thread is as fast as two on the 2-core machine (NB101: 27.2 vs 26.1 ms per
/// step) and far faster when other processes compete for the cores, so hosts should prefer
/// <c>torch.set_num_threads(1)</c> per search process. Not thread-safe: one model serves one search.
/// </remarks>
public sealed class EpdModel : nn.Module
{
    /// <summary>
    /// Sequences per forward in <see cref="Predict(Tensor)"/>. Larger is slower: the LSTMs run through libtorch's
    /// training kernel (see <see cref="LstmCalls"/>), whose workspace then outgrows the caches and glibc's heap
    /// blocks. NB101 BiLSTM over 10,000 sequences, 1 thread: 0.37 s in batches of 100, 2.8–3.0 s in batches of
    /// 250 to 1,000.
    /// </summary>
    public const int PredictBatchSize = 100;

    [ComponentName(Name = "encoder")] private readonly EpdEncoder _encoder;
    [ComponentName(Name = "decoder")] private readonly EpdDecoder _decoder;

    private readonly Generator _generator;

    public EpdModel(EpdSettings settings, long seed) : base("NAO")
    {
        settings.Validate();
        GlibcAllocatorTuning.Apply();
        Settings = settings;
        _generator = new Generator(unchecked((ulong)seed));
        var dropout = new SeededDropout(settings.Dropout, _generator);
        _encoder = new EpdEncoder(settings, dropout);
        _decoder = new EpdDecoder(settings, dropout);
        RegisterComponents();
        _encoder.ResetParameters(settings.Hidden, _generator);
        _decoder.ResetParameters(settings.Hidden, _generator);
    }

    public EpdSettings Settings { get; }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// The teacher-forced forward pass of training, in the current mode: predictions [B] and decoder logits
    /// [B, L, V] for tokens [B, L] and decoder inputs [B, L] (<see cref="EpdTokens.TeacherForcingInputs"/>).
    /// </summary>
    internal (Tensor Prediction, Tensor Logits) Forward(Tensor tokens, Tensor decoderInputs)
    {
        using var scope = torch.NewDisposeScope();
        var memory = _encoder.Encode(tokens);
        var archEmbedding = EpdEncoder.ArchitectureEmbedding(memory);
        var prediction = _encoder.Predict(archEmbedding);
        var state = InitialState(archEmbedding);
        var (logits, _) = _decoder.Run(decoderInputs, state, memory);
        return (prediction.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    /// <summary>Predictor outputs (eval mode, no dropout) for tokens int64 [N, L], in batches of <see cref="PredictBatchSize"/>.</summary>
    public float[] Predict(Tensor sequences)
    {
        EpdTokens.CheckShape(sequences, Settings);
        eval();
        using var noGrad = torch.no_grad();
        var n = sequences.shape[0];
        var result = new float[n];
        for (long start = 0; start < n; start += PredictBatchSize)
        {
            using var scope = torch.NewDisposeScope();
            var batch = sequences.narrow(0, start, Math.Min(PredictBatchSize, n - start));
            var prediction = _encoder.Predict(EpdEncoder.ArchitectureEmbedding(_encoder.Encode(batch)));
            prediction.data<float>().CopyTo(result, (int)start);
        }
        return result;
    }

    public float[] Predict(IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        using var tokens = EpdTokens.ToTensor(sequences, Settings);
        return Predict(tokens);
    }

    /// <summary>
    /// NAO's generation step (seminas-method.md §2.3) for all seeds [K, L] in one batch: move the encoder outputs
    /// along the gradient of the predicted value (η &gt; 0 raises it), re-normalise, and decode greedily, choosing
    /// at position i only among <paramref name="allowedTokens"/>[i].
    /// </summary>
    public int[][] Generate(Tensor seeds, double eta, IReadOnlyList<IReadOnlyCollection<int>> allowedTokens)
    {
        EpdTokens.CheckShape(seeds, Settings);
        if (seeds.shape[0] == 0) return [];
        eval();
        using var scope = torch.NewDisposeScope();
        var mask = EpdTokens.PositionMask(allowedTokens, Settings);
        var memory = MoveAlongPredictorGradient(seeds, eta);

        using var noGrad = torch.no_grad();
        var state = InitialState(EpdEncoder.ArchitectureEmbedding(memory));
        var previous = torch.zeros(seeds.shape[0], 1, ScalarType.Int64);
        var chosen = new Tensor[Settings.Length];
        for (var position = 0; position < Settings.Length; position++)
        {
            (var logits, state) = _decoder.Run(previous, state, memory);
            previous = logits.squeeze(1).add(mask[position]).argmax(-1, keepdim: true);
            chosen[position] = previous;
        }
        return EpdTokens.ToArrays(torch.cat(chosen, 1));
    }

    public int[][] Generate(IReadOnlyList<IReadOnlyList<int>> seeds, double eta, IReadOnlyList<IReadOnlyCollection<int>> allowedTokens)
    {
        using var tokens = EpdTokens.ToTensor(seeds, Settings);
        return Generate(tokens, eta, allowedTokens);
    }

    /// <summary>The weights (state dict, TorchSharp's format) as bytes.</summary>
    public byte[] SaveWeights()
    {
        using var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    /// <summary>Loads weights written by <see cref="SaveWeights"/> of a model with the same settings.</summary>
    public void LoadWeights(byte[] weights)
    {
        using var stream = new MemoryStream(weights, writable: false);
        load(stream, strict: true);
    }

    /// <summary>The state of the model's generator (dropout masks still to come), for an exact resume.</summary>
    public byte[] SaveRandomState()
    {
        using var state = _generator.get_state();
        return state.data<byte>().ToArray();
    }

    public void RestoreRandomState(byte[] state)
    {
        using var tensor = torch.tensor(state, ScalarType.Byte);
        _generator.set_state(tensor);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _generator.Dispose();
        base.Dispose(disposing);
    }

    // The official decoder starts from h0 = c0 = the architecture embedding.
    private static (Tensor H, Tensor C) InitialState(Tensor archEmbedding)
    {
        var h = archEmbedding.unsqueeze(0);
        return (h, h);
    }

    // enc_out' = L2norm(enc_out + η·∂(Σ pred)/∂enc_out). The gradient is taken from a detached copy of the encoder
    // outputs, so it never runs back through the LSTM (only mean → normalise → MLP).
    private Tensor MoveAlongPredictorGradient(Tensor seeds, double eta)
    {
        using var scope = torch.NewDisposeScope();
        Tensor outputs;
        using (torch.no_grad())
            outputs = _encoder.Encode(seeds);
        Tensor gradient;
        using (torch.enable_grad())
        {
            var leaf = outputs.detach().requires_grad_(true);
            var predicted = _encoder.Predict(EpdEncoder.ArchitectureEmbedding(leaf)).sum();
            gradient = torch.autograd.grad([predicted], [leaf])[0];
        }
        using var step = eta.ToScalar();
        using (torch.no_grad())
            return nn.functional.normalize(outputs.add(gradient, step), 2, -1).MoveToOuterDisposeScope();
    }
}
