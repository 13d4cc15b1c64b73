using SemiNas.Tts.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Tests;

public class ModelTests
{
    [Theory]
    [InlineData(new[] { 3, 8, 11 })]   // conv9, 2-head attention, LSTM
    [InlineData(new[] { 7, 10, 1 })]   // conv25, 8-head attention, conv1
    public void Incremental_decoding_gives_what_the_whole_sequence_decoder_gives(int[] decoderOps)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var settings = new TtsModelSettings
        {
            Vocabulary = 20, Hidden = 16, EncoderLayers = 2, DecoderLayers = 3, MelBins = 8, PrenetWidth = 8,
            Dropout = 0, PrenetDropout = 0, ReductionFactor = 2,
        };
        int[] encoderOps = [5, 11];
        using var model = new TransformerTts(settings, [.. encoderOps, .. decoderOps]);
        model.eval();
        var tokens = tensor(new long[,] { { 3, 4, 5, 6, 7, 8, 9 }, { 10, 11, 12, 13, 14, 0, 0 } });
        var tokenPadding = tokens.eq(0);
        const int steps = 20;

        using var generated = model.Generate(encoderOps, decoderOps, tokens, tokenPadding, steps, stopEarly: false);
        Assert.Equal([2, steps * 2, 8], generated.Mel.shape);

        // The whole-sequence decoder, fed the frames the incremental one generated, must give the same outputs.
        var lastFrames = generated.Mel.view(2, steps, 2, 8).select(2, 1);
        var previous = cat([zeros(2, 1, 8), lastFrames.narrow(1, 0, steps - 1)], 1);
        using var whole = no_grad();
        var memory = model.Encode(encoderOps, tokens, tokenPadding);
        using var reference = model.Decode(decoderOps, previous, zeros(2, steps, ScalarType.Bool), memory, tokenPadding);
        Assert.True(reference.Mel.allclose(generated.Mel, rtol: 1e-4, atol: 1e-5),
            $"mels differ by up to {(reference.Mel - generated.Mel).abs().max().item<float>()}");
        Assert.True(reference.StopLogits.allclose(generated.StopLogits, rtol: 1e-4, atol: 1e-5));
        for (var l = 0; l < 3; l++)
            Assert.True(reference.Attention[l].allclose(generated.Attention[l], rtol: 1e-4, atol: 1e-5), $"attention of decoder layer {l} differs");
        // The outputs are not trivially equal: the frames change from step to step.
        Assert.False(lastFrames.narrow(1, 0, 1).allclose(lastFrames.narrow(1, steps - 1, 1)));
    }
}
