using SemiNas.ImageClassification;
using SemiNas.ImageClassification.Data;
using SkiaSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Tests;

public sealed class DataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seminas-image-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_synthetic_set_is_the_same_for_the_same_seed_and_covers_every_class()
    {
        using var a = SyntheticImages.Generate(200, 10, 16, seed: 3);
        using var b = SyntheticImages.Generate(200, 10, 16, seed: 3);
        using var c = SyntheticImages.Generate(200, 10, 16, seed: 4);
        var all = Enumerable.Range(0, 200).ToArray();
        using var ia = a.Load(all);
        using var ib = b.Load(all);
        using var ic = c.Load(all);
        Assert.Equal([200L, 3, 16, 16], ia.shape);
        Assert.True(ia.eq(ib).all().item<bool>());
        Assert.False(ia.eq(ic).all().item<bool>());
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(Enumerable.Range(0, 10), a.Labels.Distinct().Order());
    }

    [Fact]
    public void CIFAR_10_binary_files_read_back_the_pixels_and_labels_written()
    {
        using var source = SyntheticImages.Generate(30, 10, 32, seed: 1);
        var indices = Enumerable.Range(0, 30).ToArray();
        using var pixels = source.Load(indices);
        var labels = indices.Select(i => source.Labels[i]).ToArray();
        var binFolder = Directory.CreateDirectory(Path.Combine(_folder, "cifar-10-batches-bin")).FullName;
        Cifar10Reader.Write(Path.Combine(binFolder, "data_batch_1.bin"), pixels.narrow(0, 0, 20), labels[..20]);
        Cifar10Reader.Write(Path.Combine(binFolder, "test_batch.bin"), pixels.narrow(0, 20, 10), labels[20..]);
        Assert.Equal(20 * 3073, new FileInfo(Path.Combine(binFolder, "data_batch_1.bin")).Length);

        var (train, test) = Cifar10Reader.ReadFolder(_folder);
        using (train)
        using (test)
        {
            Assert.Equal(labels[..20], train.Labels);
            Assert.Equal(labels[20..], test.Labels);
            using var back = train.Load(Enumerable.Range(0, 20).ToArray());
            Assert.True(back.eq(pixels.narrow(0, 0, 20)).all().item<bool>());
        }
        // The record layout itself: label byte, then the red plane of 1024 bytes (row-major), green, blue.
        var bytes = File.ReadAllBytes(Path.Combine(binFolder, "test_batch.bin"));
        Assert.Equal(labels[20], bytes[0]);
        Assert.Equal(pixels[20, 1, 0, 5].item<byte>(), bytes[1 + 1024 + 5]);
    }

    [Fact]
    public void A_truncated_or_mislabelled_CIFAR_file_is_refused_with_its_name()
    {
        var file = Path.Combine(_folder, "data_batch_1.bin");
        File.WriteAllBytes(file, new byte[3073 + 10]);
        var error = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read([file]));
        Assert.Contains("data_batch_1.bin", error.Message);
        Assert.Contains("3083 bytes", error.Message);

        var record = new byte[3073 * 2];
        record[3073] = 12;
        File.WriteAllBytes(file, record);
        error = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Read([file]));
        Assert.Contains("record 2 has label 12", error.Message);
    }

    [Fact]
    public void An_image_folder_is_decoded_resized_centre_cropped_and_labelled_by_class_folder()
    {
        // A 40x20 PNG, left half red and right half blue, in class "b"; a 20x20 green JPEG in class "a".
        WriteImage(Path.Combine(_folder, "train", "b", "x.png"), 40, 20, (x, _) => x < 20 ? SKColors.Red : SKColors.Blue, SKEncodedImageFormat.Png);
        WriteImage(Path.Combine(_folder, "train", "a", "y.JPEG"), 20, 20, (_, _) => SKColors.Lime, SKEncodedImageFormat.Jpeg);
        WriteImage(Path.Combine(_folder, "val", "a", "z.JPEG"), 30, 30, (_, _) => SKColors.Lime, SKEncodedImageFormat.Jpeg);

        var classes = FolderImageSet.ClassNames(Path.Combine(_folder, "train"));
        Assert.Equal(["a", "b"], classes);
        var train = FolderImageSet.Open(Path.Combine(_folder, "train"), classes, size: 10, threads: 2);
        Assert.Equal([0, 1], train.Labels);
        using var images = train.Load([1, 0]);
        Assert.Equal([2L, 3, 10, 10], images.shape);
        // The 40x20 image becomes 20x10 and keeps its middle 10x10: red on the left, blue on the right.
        Assert.True(images[0, 0, 5, 1].item<byte>() > 200 && images[0, 2, 5, 1].item<byte>() < 50);
        Assert.True(images[0, 2, 5, 8].item<byte>() > 200 && images[0, 0, 5, 8].item<byte>() < 50);
        Assert.True(images[1, 1, 5, 5].item<byte>() > 200);

        File.WriteAllText(Path.Combine(_folder, "train", "a", "broken.jpg"), "not an image");
        var broken = FolderImageSet.Open(Path.Combine(_folder, "train"), classes, 10, 1);
        var error = Assert.Throws<AggregateException>(() => broken.Load([0, 1, 2]));
        Assert.Contains("broken.jpg", error.InnerException!.Message);
    }

    [Fact]
    public void Augmentation_gives_normalised_inputs_at_the_resolution_and_flips_or_crops_at_random()
    {
        using var set = SyntheticImages.Generate(8, 4, 24, seed: 2);
        using var augmentation = new Augmentation(new DatasetOptions { Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25] }, 16, CPU);
        using var batch = set.Load(Enumerable.Range(0, 8).ToArray());
        using var eval = augmentation.Eval(batch);
        Assert.Equal([8L, 3, 16, 16], eval.shape);
        // Evaluation is the centre crop, normalised: pixel (0,0) of the crop is pixel (4,4) of the image.
        var expected = (batch[0, 0, 4, 4].item<byte>() / 255.0 - 0.5) / 0.25;
        Assert.Equal(expected, eval[0, 0, 0, 0].item<float>(), 4);
        using var a = augmentation.Train(batch, new Random(1));
        using var b = augmentation.Train(batch, new Random(1));
        using var c = augmentation.Train(batch, new Random(2));
        Assert.Equal([8L, 3, 16, 16], a.shape);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.allclose(c));
    }

    private static void WriteImage(string path, int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }
}
