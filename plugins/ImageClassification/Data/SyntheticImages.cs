using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// A generated, seeded data set for tests and demos: each class is a smooth random colour pattern; an image is its
/// class's pattern (left-right symmetric) under a random brightness and contrast plus pixel noise. Small networks learn it in a few hundred
/// steps, yet it is not trivially separable by the mean colour alone.
/// </summary>
internal static class SyntheticImages
{
    public static InMemoryImageSet Generate(int count, int classes, int size, int seed)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        // Patterns: 4x4 random colours per class, upsampled, so each class has its own layout, not just a colour.
        // Mirror-symmetric, so that the horizontal flip of training augmentation keeps an image in its class.
        var half = rand([classes, 3, 4, 4], generator: generator);
        var coarse = half.add(half.flip(3)).div_(2);
        var patterns = nn.functional.interpolate(coarse, size: [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        var labels = randint(0, classes, [count], generator: generator);
        var contrast = rand([count, 1, 1, 1], generator: generator).mul_(0.6).add_(0.7);
        var brightness = rand([count, 1, 1, 1], generator: generator).sub_(0.5).mul_(0.3);
        var noise = randn([count, 3, size, size], generator: generator).mul_(0.12);
        var images = patterns.index_select(0, labels).sub(0.5).mul(contrast).add(0.5).add(brightness).add(noise)
            .clamp(0, 1).mul(255).round().to(ScalarType.Byte);
        var labelArray = labels.data<long>().Select(l => (int)l).ToArray();
        return new InMemoryImageSet(images.MoveToOuterDisposeScope(), labelArray, classes);
    }
}
