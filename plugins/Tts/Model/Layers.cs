using SemiNas.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>
/// Runs an LSTM through libtorch's training kernel even without gradients: in libtorch 2.10 the oneDNN kernel that
/// torch picks under no_grad returns wrong outputs for some hidden sizes (found and measured in
/// src/Controller/Nao/LstmCalls.cs, whose fix this repeats; a plugin cannot reference the controller).
/// </summary>
internal static class LstmCalls
{
    public static Tensor Run(LSTM lstm, Tensor input)
    {
        if (is_grad_enabled()) return lstm.call(input).Item1;
        using var scope = NewDisposeScope();
        using (enable_grad())
        {
            var (output, _, _) = lstm.call(input);
            return output.detach().MoveToOuterDisposeScope();
        }
    }

    /// <summary>Continues a (unidirectional) LSTM from <paramref name="state"/>; returns the output and the new state.</summary>
    public static (Tensor Output, Tensor H, Tensor C) Continue(LSTM lstm, Tensor input, (Tensor H, Tensor C)? state)
    {
        if (is_grad_enabled()) return lstm.call(input, state);
        using var scope = NewDisposeScope();
        using (enable_grad())
        {
            var (output, h, c) = lstm.call(input, state);
            return (output.detach().MoveToOuterDisposeScope(), h.detach().MoveToOuterDisposeScope(), c.detach().MoveToOuterDisposeScope());
        }
    }
}

/// <summary>
/// What one decoder layer keeps between the steps of incremental decoding: the recent inputs of its causal
/// convolutions, the keys and values of its self-attention, its LSTM state, and the projected encoder memory of its
/// encoder–decoder attention. The tensors live outside any dispose scope until the cache is disposed.
/// </summary>
internal sealed class StepCache : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = [];

    public Tensor? this[string name]
    {
        get => _tensors.GetValueOrDefault(name);
        set
        {
            if (_tensors.Remove(name, out var old) && !ReferenceEquals(old, value)) old.Dispose();
            if (value is not null) _tensors[name] = value.DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// The last <paramref name="kernel"/> steps of a causal convolution's input [B, H, 1] (zeros before the first
    /// step, as the left padding of the whole-sequence pass), remembering all but the oldest for the next step.
    /// </summary>
    public Tensor Window(string name, Tensor input, int kernel)
    {
        var past = this[name] ?? zeros(input.shape[0], input.shape[1], kernel - 1, dtype: input.dtype, device: input.device);
        var window = cat([past, input], 2);
        this[name] = window.narrow(2, 1, kernel - 1).contiguous();
        return window;
    }

    /// <summary>Appends a step's keys or values [B, heads, 1, d] to those of the earlier steps.</summary>
    public Tensor Append(string name, Tensor step)
    {
        var all = this[name] is { } past ? cat([past, step], 2) : step.contiguous();
        this[name] = all;
        return all;
    }

    public void Dispose()
    {
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors.Clear();
    }
}

/// <summary>Multi-head attention, batch first, returning each head's weights (the attention metrics need them).</summary>
internal sealed class Attention : nn.Module
{
    private readonly Linear _query;
    private readonly Linear _key;
    private readonly Linear _value;
    private readonly Linear _output;
    private readonly int _heads;
    private readonly double _dropout;

    public Attention(string name, int hidden, int heads, double dropout) : base(name)
    {
        if (hidden % heads != 0) throw new ArgumentException($"hidden size {hidden} is not divisible by {heads} heads.");
        _heads = heads;
        _dropout = dropout;
        _query = nn.Linear(hidden, hidden);
        _key = nn.Linear(hidden, hidden);
        _value = nn.Linear(hidden, hidden);
        _output = nn.Linear(hidden, hidden);
        RegisterComponents();
    }

    /// <param name="query">[B, T, H]</param>
    /// <param name="memory">[B, S, H]</param>
    /// <param name="keyPadding">[B, S] true on padding, or null.</param>
    /// <param name="causal">Mask future positions (self-attention in the decoder).</param>
    /// <returns>The output [B, T, H] and the weights [B, heads, T, S].</returns>
    public (Tensor Output, Tensor Weights) Forward(Tensor query, Tensor memory, Tensor? keyPadding, bool causal)
    {
        var (k, v) = KeysAndValues(memory);
        return Attend(query, k, v, keyPadding, causal);
    }

    /// <summary>The memory [B, S, H] projected to keys and to values, each [B, heads, S, H / heads].</summary>
    public (Tensor Keys, Tensor Values) KeysAndValues(Tensor memory) => (Heads(_key.call(memory)), Heads(_value.call(memory)));

    /// <summary>Attends from <paramref name="query"/> [B, T, H] over keys and values from <see cref="KeysAndValues"/>.</summary>
    /// <param name="headMask">[B, heads, S] true where a head may not look (the attention constraint), or null.</param>
    public (Tensor Output, Tensor Weights) Attend(Tensor query, Tensor keys, Tensor values, Tensor? keyPadding, bool causal, Tensor? headMask = null)
    {
        var (b, t, h) = (query.shape[0], query.shape[1], query.shape[2]);
        var s = keys.shape[2];
        var q = Heads(_query.call(query));
        var scores = matmul(q, keys.transpose(-1, -2)) / KeptScalars.Of(Math.Sqrt(h / _heads));
        if (keyPadding is not null) scores = scores.masked_fill(keyPadding.view(b, 1, 1, s), KeptScalars.NegativeInfinity);
        if (headMask is not null) scores = scores.masked_fill(headMask.unsqueeze(2), KeptScalars.NegativeInfinity);
        if (causal)
        {
            using var future = ones(t, s, ScalarType.Bool, query.device).triu(1);
            scores = scores.masked_fill(future, KeptScalars.NegativeInfinity);
        }
        var weights = softmax(scores, -1);
        var mixed = matmul(nn.functional.dropout(weights, _dropout, training), values).transpose(1, 2).reshape(b, t, h);
        return (_output.call(mixed), weights);
    }

    private Tensor Heads(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, x.shape[2] / _heads).transpose(1, 2);
}

/// <summary>One candidate operation of a layer: pre-LayerNorm, the operation, dropout, residual.</summary>
internal abstract class LayerOp(string name) : nn.Module(name)
{
    /// <param name="x">[B, T, H]</param>
    /// <param name="padding">[B, T] true on padding.</param>
    public abstract Tensor Forward(Tensor x, Tensor padding);

    /// <summary>
    /// Incremental decoding: the output for one new step x [B, 1, H], the same as the step's row of
    /// <see cref="Forward"/> over all steps so far, from what <paramref name="cache"/> kept of the earlier ones.
    /// </summary>
    public abstract Tensor Step(Tensor x, StepCache cache);

    public static LayerOp Create(int op, int hidden, double dropout, bool decoder) => op switch
    {
        _ when TtsOperations.IsConv(op) => new ConvOp(hidden, TtsOperations.Kernel(op), dropout, causal: decoder),
        _ when TtsOperations.IsAttention(op) => new TransformerOp(hidden, TtsOperations.Heads(op), dropout, causal: decoder),
        TtsOperations.Lstm => new LstmOp(hidden, dropout, bidirectional: !decoder),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "operations are 1..11"),
    };

    protected static Tensor ZeroPadding(Tensor x, Tensor padding) => x.masked_fill(padding.unsqueeze(-1), KeptScalars.Of(0));
}

/// <summary>LN → convolution (centred in the encoder, causal in the decoder) → ReLU → dropout → residual (EncConvLayer).</summary>
internal sealed class ConvOp : LayerOp
{
    private readonly LayerNorm _norm;
    private readonly Conv1d _conv;
    private readonly int _kernel;
    private readonly bool _causal;
    private readonly double _dropout;

    public ConvOp(int hidden, int kernel, double dropout, bool causal) : base($"conv{kernel}")
    {
        _kernel = kernel;
        _causal = causal;
        _dropout = dropout;
        _norm = nn.LayerNorm(hidden);
        _conv = nn.Conv1d(hidden, hidden, kernel, padding: causal ? 0 : kernel / 2);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor x, Tensor padding)
    {
        var y = _norm.call(ZeroPadding(x, padding)).transpose(1, 2);           // [B, H, T]
        if (_causal && _kernel > 1) y = nn.functional.pad(y, [_kernel - 1, 0]);
        y = nn.functional.relu(_conv.call(y)).transpose(1, 2);
        return x + nn.functional.dropout(y, _dropout, training);
    }

    public override Tensor Step(Tensor x, StepCache cache)
    {
        if (!_causal) throw new InvalidOperationException("Only a decoder (causal) convolution decodes step by step.");
        var window = cache.Window("conv", _norm.call(x).transpose(1, 2), _kernel);
        var y = nn.functional.relu(_conv.call(window)).transpose(1, 2);
        return x + nn.functional.dropout(y, _dropout, training);
    }
}

/// <summary>A Transformer layer: LN → self-attention → residual, LN → conv(kernel 9, 4×) → ReLU → linear → residual.</summary>
internal sealed class TransformerOp : LayerOp
{
    private const int FeedForwardKernel = 9;

    private readonly LayerNorm _attentionNorm;
    private readonly Attention _attention;
    private readonly LayerNorm _feedForwardNorm;
    private readonly Conv1d _expand;
    private readonly Linear _contract;
    private readonly bool _causal;
    private readonly double _dropout;

    public TransformerOp(int hidden, int heads, double dropout, bool causal) : base($"attn{heads}")
    {
        _causal = causal;
        _dropout = dropout;
        _attentionNorm = nn.LayerNorm(hidden);
        _attention = new Attention("self_attention", hidden, heads, dropout);
        _feedForwardNorm = nn.LayerNorm(hidden);
        _expand = nn.Conv1d(hidden, 4 * hidden, FeedForwardKernel, padding: causal ? 0 : FeedForwardKernel / 2);
        _contract = nn.Linear(4 * hidden, hidden);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor x, Tensor padding)
    {
        var normed = _attentionNorm.call(x);
        var (attended, _) = _attention.Forward(normed, normed, padding, _causal);
        x = x + nn.functional.dropout(attended, _dropout, training);
        var y = _feedForwardNorm.call(ZeroPadding(x, padding)).transpose(1, 2);
        if (_causal) y = nn.functional.pad(y, [FeedForwardKernel - 1, 0]);
        y = nn.functional.relu(_expand.call(y)).transpose(1, 2);
        y = _contract.call(nn.functional.dropout(y, _dropout, training));
        return x + nn.functional.dropout(y, _dropout, training);
    }

    public override Tensor Step(Tensor x, StepCache cache)
    {
        if (!_causal) throw new InvalidOperationException("Only a decoder (causal) layer decodes step by step.");
        var normed = _attentionNorm.call(x);
        var (k, v) = _attention.KeysAndValues(normed);
        var (attended, _) = _attention.Attend(normed, cache.Append("keys", k), cache.Append("values", v), null, causal: false);
        x = x + nn.functional.dropout(attended, _dropout, training);
        var window = cache.Window("feed_forward", _feedForwardNorm.call(x).transpose(1, 2), FeedForwardKernel);
        var y = nn.functional.relu(_expand.call(window)).transpose(1, 2);
        y = _contract.call(nn.functional.dropout(y, _dropout, training));
        return x + nn.functional.dropout(y, _dropout, training);
    }
}

/// <summary>LN → LSTM (encoder: bidirectional, then a projection back to the hidden size) → dropout → residual.</summary>
internal sealed class LstmOp : LayerOp
{
    private readonly LayerNorm _norm;
    private readonly LSTM _lstm;
    private readonly Linear? _projection;
    private readonly double _dropout;

    public LstmOp(int hidden, double dropout, bool bidirectional) : base("lstm")
    {
        _dropout = dropout;
        _norm = nn.LayerNorm(hidden);
        _lstm = nn.LSTM(hidden, hidden, batchFirst: true, bidirectional: bidirectional);
        _projection = bidirectional ? nn.Linear(2 * hidden, hidden) : null;
        RegisterComponents();
    }

    public override Tensor Forward(Tensor x, Tensor padding)
    {
        var y = LstmCalls.Run(_lstm, _norm.call(ZeroPadding(x, padding)));
        if (_projection is not null) y = _projection.call(y);
        return x + nn.functional.dropout(y, _dropout, training);
    }

    public override Tensor Step(Tensor x, StepCache cache)
    {
        if (_projection is not null) throw new InvalidOperationException("Only a decoder (unidirectional) LSTM decodes step by step.");
        var state = cache["h"] is { } h && cache["c"] is { } c ? (h, c) : ((Tensor, Tensor)?)null;
        var (y, newH, newC) = LstmCalls.Continue(_lstm, _norm.call(x), state);
        (cache["h"], cache["c"]) = (newH, newC);
        return x + nn.functional.dropout(y, _dropout, training);
    }
}

/// <summary>
/// One searchable position: the candidate operations it holds (all 11 in a supernet, the chosen one in a standalone
/// model) and, in the decoder, the encoder–decoder attention after them: one per operation, as in the reference's
/// supernet (model_ws.py, where each decoder operation of operations.py holds its own), or, in models saved before
/// that, one per head count shared by the operations with that many heads.
/// </summary>
internal sealed class SearchableLayer : nn.Module
{
    private readonly ModuleDict<LayerOp> _ops = new();
    private readonly ModuleDict<Attention> _crossAttention = new();
    private readonly ModuleDict<LayerNorm> _crossNorm = new();
    private readonly double _dropout;
    private readonly bool _crossAttentionPerOperation;

    public SearchableLayer(string name, IEnumerable<int> ops, int hidden, double dropout, bool decoder, bool crossAttentionPerOperation) : base(name)
    {
        _dropout = dropout;
        _crossAttentionPerOperation = crossAttentionPerOperation;
        foreach (var op in ops.Distinct().Order())
        {
            _ops.Add(Key(op), LayerOp.Create(op, hidden, dropout, decoder));
            if (!decoder || _crossAttention.ContainsKey(CrossKey(op))) continue;
            _crossAttention.Add(CrossKey(op), new Attention("cross_attention", hidden, TtsOperations.Heads(op), dropout));
            _crossNorm.Add(CrossKey(op), nn.LayerNorm(hidden));
        }
        RegisterComponents();
    }

    public Tensor Encode(int op, Tensor x, Tensor padding) => Op(op).Forward(x, padding);

    /// <returns>The layer output and its encoder–decoder attention weights [B, heads, T, S].</returns>
    public (Tensor Output, Tensor Attention) Decode(int op, Tensor x, Tensor padding, Tensor memory, Tensor memoryPadding)
    {
        x = Op(op).Forward(x, padding);
        var key = CrossKey(op);
        var (attended, weights) = _crossAttention[key].Forward(_crossNorm[key].call(x), memory, memoryPadding, causal: false);
        return (x + nn.functional.dropout(attended, _dropout, training), weights);
    }

    /// <summary>One step of incremental decoding (see <see cref="LayerOp.Step"/>); the attention weights are [B, heads, 1, S].</summary>
    /// <param name="constraint">[B, heads, S] true where the encoder–decoder attention may not look, or null.</param>
    public (Tensor Output, Tensor Attention) Step(int op, Tensor x, StepCache cache, Tensor memory, Tensor memoryPadding, Tensor? constraint = null)
    {
        x = Op(op).Step(x, cache);
        var key = CrossKey(op);
        if (cache["memory_keys"] is null)
        {
            var (k, v) = _crossAttention[key].KeysAndValues(memory);
            (cache["memory_keys"], cache["memory_values"]) = (k.contiguous(), v.contiguous());
        }
        var (attended, weights) = _crossAttention[key].Attend(_crossNorm[key].call(x), cache["memory_keys"]!, cache["memory_values"]!, memoryPadding, causal: false, constraint);
        return (x + nn.functional.dropout(attended, _dropout, training), weights);
    }

    private LayerOp Op(int op) =>
        _ops.TryGetValue(Key(op), out var module) ? module
            : throw new InvalidOperationException($"{name} has no {TtsOperations.Name(op)} operation (a standalone model only holds its own).");

    private static string Key(int op) => "op" + op;

    private string CrossKey(int op) => _crossAttentionPerOperation ? Key(op) : "heads" + TtsOperations.Heads(op);
}
