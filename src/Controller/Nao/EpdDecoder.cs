using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// The attention LSTM decoder (seminas-method.md §2.2). One call runs T steps whose inputs are all known:
/// the whole teacher-forced sequence in training, one step at a time in greedy decoding.
/// </summary>
internal sealed class EpdDecoder : nn.Module
{
    // A static scalar, never a temporary: see CoupledAdam for why.
    private static readonly Scalar Half = Math.Sqrt(0.5).ToScalar();

    [ComponentName(Name = "rnn")] private readonly LSTM _rnn;
    [ComponentName(Name = "embedding")] private readonly Embedding _embedding;
    [ComponentName(Name = "attention")] private readonly LuongAttention _attention;
    [ComponentName(Name = "out")] private readonly Linear _out;

    private readonly SeededDropout _dropout;

    public EpdDecoder(EpdSettings settings, SeededDropout dropout) : base("decoder")
    {
        int h = settings.Hidden;
        _rnn = nn.LSTM(h, h, numLayers: 1, batchFirst: true);
        _embedding = nn.Embedding(settings.VocabularySize, h);
        _attention = new LuongAttention(h);
        _out = nn.Linear(h, settings.VocabularySize);
        _dropout = dropout;
        RegisterComponents();
    }

    public void ResetParameters(int hidden, Generator generator)
    {
        SeededInit.Lstm(_rnn, hidden, generator);
        SeededInit.Embedding(_embedding, generator);
        _attention.ResetParameters(generator);
        SeededInit.Linear(_out, generator);
    }

    /// <summary>
    /// Input tokens int64 [B, T] (the previous token of each step), LSTM state ([1, B, H], [1, B, H]) and the
    /// encoder outputs [B, L, H] → logits [B, T, V] and the state after the last step.
    /// </summary>
    public (Tensor Logits, (Tensor H, Tensor C) State) Run(Tensor inputTokens, (Tensor H, Tensor C) state, Tensor memory)
    {
        using var scope = torch.NewDisposeScope();
        var x = _dropout.Apply(_embedding.call(inputTokens), training);
        var (y, h, c) = LstmCalls.Run(_rnn, x, state);
        // Out-of-place adds: the LSTM's and tanh's backward may keep their outputs, which must stay unmodified.
        x = y.add(x).mul_(Half);
        x = _attention.Attend(x, memory).add(x).mul_(Half);
        var logits = _out.call(x);
        return (logits.MoveToOuterDisposeScope(), (h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope()));
    }
}
