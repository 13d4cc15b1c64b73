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

    [Fact]
    public void IDX_files_plain_or_gzipped_read_back_as_grey_images_with_their_labels()
    {
        using var source = GreyImages(12, side: 6, seed: 1);
        var labels = Enumerable.Range(0, 12).Select(i => i % 10).ToArray();
        IdxReader.Write(Path.Combine(_folder, "train-images-idx3-ubyte.gz"), Path.Combine(_folder, "train-labels-idx1-ubyte.gz"),
            source.narrow(0, 0, 8), labels[..8]);
        IdxReader.Write(Path.Combine(_folder, "t10k-images-idx3-ubyte"), Path.Combine(_folder, "t10k-labels-idx1-ubyte"),
            source.narrow(0, 8, 4), labels[8..]);
        // The gzipped files really are gzip; the plain ones start with the IDX magic 0x00000803 / 0x00000801.
        Assert.Equal(0x1f, File.ReadAllBytes(Path.Combine(_folder, "train-images-idx3-ubyte.gz"))[0]);
        Assert.Equal([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 6], File.ReadAllBytes(Path.Combine(_folder, "t10k-images-idx3-ubyte"))[..16]);
        Assert.Equal(8 + 4, new FileInfo(Path.Combine(_folder, "t10k-labels-idx1-ubyte")).Length);

        var (train, test) = IdxReader.ReadFolder(_folder, classes: 10);
        using (train)
        using (test)
        {
            Assert.Equal(1, train.Channels);
            Assert.Equal(6, train.Size);
            Assert.Equal(labels[..8], train.Labels);
            Assert.Equal(labels[8..], test.Labels);
            using var back = train.Load(Enumerable.Range(0, 8).ToArray());
            Assert.Equal([8L, 1, 6, 6], back.shape);
            Assert.True(back.eq(source.narrow(0, 0, 8)).all().item<bool>());
            using var testBack = test.Load([3]);
            Assert.True(testBack.eq(source.narrow(0, 11, 1)).all().item<bool>());
        }
    }

    [Fact]
    public void A_wrong_magic_number_a_truncated_file_or_a_label_count_that_differs_is_refused_with_the_file_and_what()
    {
        using var images = GreyImages(5, side: 4, seed: 2);
        var imageFile = Path.Combine(_folder, "images-idx3-ubyte");
        var labelFile = Path.Combine(_folder, "labels-idx1-ubyte");
        IdxReader.Write(imageFile, labelFile, images, [0, 1, 2, 3, 4]);
        using (var ok = IdxReader.Read(imageFile, labelFile, 10)) Assert.Equal(5, ok.Count);

        // Images and labels swapped: each file's magic number says what it is.
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(labelFile, imageFile, 10));
        Assert.Contains(labelFile, error.Message);
        Assert.Contains("magic number 0x00000801, expected 0x00000803", error.Message);

        // A file cut short: its header promises 5 images of 4x4.
        var bytes = File.ReadAllBytes(imageFile);
        var cut = Path.Combine(_folder, "cut-idx3-ubyte");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 7)]);
        error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(cut, labelFile, 10));
        Assert.Contains(cut, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("5 x 4 x 4", error.Message);
        // ... also when the cut falls in the header, and in a gzipped file.
        File.WriteAllBytes(cut, bytes[..10]);
        Assert.Contains("shorter than its 16-byte IDX header", Assert.Throws<InvalidDataException>(() => IdxReader.Read(cut, labelFile, 10)).Message);
        var gzipped = Path.Combine(_folder, "cut-idx3-ubyte.gz");
        IdxReader.WriteArray(gzipped, IdxReader.ImageMagic, [5, 4, 4], new byte[5 * 16]);
        var gz = File.ReadAllBytes(gzipped);
        File.WriteAllBytes(gzipped, gz[..(gz.Length / 2)]);
        error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(gzipped, labelFile, 10));
        Assert.Contains(gzipped, error.Message);
        Assert.Contains("truncated", error.Message);

        // Four labels for five images.
        var fewer = Path.Combine(_folder, "fewer-idx1-ubyte");
        IdxReader.WriteArray(fewer, IdxReader.LabelMagic, [4], [0, 1, 2, 3]);
        error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(imageFile, fewer, 10));
        Assert.Contains(fewer, error.Message);
        Assert.Contains("4 labels, but", error.Message);
        Assert.Contains("holds 5 images", error.Message);

        // A label beyond space.classes.
        error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(imageFile, labelFile, 4));
        Assert.Contains("label 5 is 4", error.Message);
    }

    [Fact]
    public void An_IDX_data_set_is_split_into_training_held_out_and_test_images_by_the_split_seed()
    {
        using var source = GreyImages(120, side: 8, seed: 3);
        var labels = Enumerable.Range(0, 120).Select(i => i % 10).ToArray();
        IdxReader.Write(Path.Combine(_folder, "train-images-idx3-ubyte.gz"), Path.Combine(_folder, "train-labels-idx1-ubyte.gz"),
            source.narrow(0, 0, 100), labels[..100]);
        IdxReader.Write(Path.Combine(_folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(_folder, "t10k-labels-idx1-ubyte.gz"),
            source.narrow(0, 100, 20), labels[100..]);
        var options = new DatasetOptions { Kind = DatasetKind.Idx, Path = ".", HeldOut = 30, TrainLimit = 50, Mean = [0.5], Std = [0.25] };
        var space = new SpaceOptions { Resolution = 8, Classes = 10 };

        using var data = DatasetLoader.Load(options, space, _folder);
        Assert.Equal((50, 30, 20, 80), (data.Train.Count, data.HeldOut.Count, data.Valid.Count, data.FullTrain.Count));
        Assert.Equal(labels[100..], data.Valid.Labels);
        Assert.Equal(1, data.Train.Channels);
        using var again = DatasetLoader.Load(options, space, _folder);
        Assert.Equal(data.HeldOut.Labels, again.HeldOut.Labels);
        using var heldOut = data.HeldOut.Load(Enumerable.Range(0, 30).ToArray());
        using var heldOutAgain = again.HeldOut.Load(Enumerable.Range(0, 30).ToArray());
        Assert.True(heldOut.eq(heldOutAgain).all().item<bool>());
        options.SplitSeed = 99;
        using var other = DatasetLoader.Load(options, space, _folder);
        using var otherHeldOut = other.HeldOut.Load(Enumerable.Range(0, 30).ToArray());
        Assert.False(heldOut.eq(otherHeldOut).all().item<bool>());
    }

    [Fact]
    public void Debians_Fashion_MNIST_is_read_from_its_gzipped_IDX_files()
    {
        // Installed by build/install-debian-packages.sh (test.sh and ./seminas run it): apt-get install dataset-fashion-mnist.
        var options = new DatasetOptions { Kind = DatasetKind.FashionMnist, HeldOut = 5000, Mean = [0.286], Std = [0.353] };
        using var data = DatasetLoader.Load(options, new SpaceOptions { Resolution = 28, Classes = 10 }, _folder);
        Assert.Equal((55_000, 5000, 10_000, 60_000), (data.Train.Count, data.HeldOut.Count, data.Valid.Count, data.FullTrain.Count));
        Assert.Equal(28, data.Valid.Size);
        // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
        Assert.All(data.FullTrain.Labels.GroupBy(l => l), g => Assert.Equal(6000, g.Count()));
        Assert.All(data.Valid.Labels.GroupBy(l => l), g => Assert.Equal(1000, g.Count()));
        using var first = data.Valid.Load([0]);
        Assert.True(first.max().item<byte>() > 200 && first.min().item<byte>() == 0);
    }

    [Fact]
    public void A_folder_training_crop_is_cut_from_the_whole_image_not_from_its_centre()
    {
        // The smallest crop, pushed to the far right of a 300x100 image: beyond the centre 100x100 square.
        var u = new double[41];
        (u[0], u[1], u[2], u[3]) = (0.0, 0.5, 0.999, 0.0);
        var right = FolderImageSet.CropRectangle(300, 100, 0.1, u);
        Assert.Equal((55, 55), (right.Width, right.Height));
        Assert.Equal(300, right.Right);
        // The whole area never fits a 3/4..4/3 ratio in a 3:1 image: after 10 tries, torchvision's fallback, a centred 4:3 crop.
        for (var attempt = 0; attempt < 10; attempt++) u[attempt * 4] = 1.0;
        var fallback = FolderImageSet.CropRectangle(300, 100, 0.1, u);
        Assert.Equal((133, 100, 83), (fallback.Width, fallback.Height, fallback.Left));

        WriteImage(Path.Combine(_folder, "train", "a", "x.png"), 60, 20, (x, _) => x < 20 ? SKColors.Red : x < 40 ? SKColors.Lime : SKColors.Blue,
            SKEncodedImageFormat.Png);
        var set = FolderImageSet.Open(Path.Combine(_folder, "train"), ["a"], size: 16, threads: 2);
        Assert.True(set.CropsOnLoad);
        // Over many random crops, red and blue (outside the centre square) both show up; the centre view has only green.
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 20; seed++)
        {
            using var crop = set.LoadCropped([0], new Random(seed), 8, 0.08, flip: true);
            Assert.Equal([1L, 3, 8, 8], crop.shape);
            if (crop[0, 0].max().item<byte>() > 200) seen.Add("red");
            if (crop[0, 2].max().item<byte>() > 200) seen.Add("blue");
        }
        Assert.Equal(["blue", "red"], seen.Order());
        using var centre = set.Load([0]);
        Assert.True(centre[0, 0].to(ScalarType.Float32).mean().item<float>() < 60 && centre[0, 2].to(ScalarType.Float32).mean().item<float>() < 60);
        using var a = set.LoadCropped([0], new Random(3), 8, 0.08, flip: true);
        using var b = set.LoadCropped([0], new Random(3), 8, 0.08, flip: true);
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public void Colour_jitter_changes_training_images_reproducibly_and_leaves_grey_images_grey()
    {
        using var set = SyntheticImages.Generate(8, 4, 16, seed: 2);
        var plain = new DatasetOptions { Mean = [0, 0, 0], Std = [1, 1, 1], MinCropScale = 1, Flip = false };
        var jittered = new DatasetOptions
        {
            Mean = [0, 0, 0], Std = [1, 1, 1], MinCropScale = 1, Flip = false,
            ColorJitter = new ColorJitterOptions { Brightness = 0.4, Contrast = 0.4, Saturation = 0.4, Hue = 0.1 },
        };
        using var batch = set.Load(Enumerable.Range(0, 8).ToArray());
        using var withoutJitter = new Augmentation(plain, 16, CPU);
        using var withJitter = new Augmentation(jittered, 16, CPU);
        using var a = withoutJitter.Train(batch, new Random(1));
        using var b = withJitter.Train(batch, new Random(1));
        using var c = withJitter.Train(batch, new Random(1));
        Assert.False(a.allclose(b, 1e-3, 1e-3));
        Assert.True(b.eq(c).all().item<bool>());
        Assert.True(b.min().item<float>() >= 0 && b.max().item<float>() <= 1);

        // One channel: brightness and contrast apply, saturation and hue have nothing to act on.
        var grey = new DatasetOptions
        {
            Kind = DatasetKind.Idx, Mean = [0], Std = [1], MinCropScale = 1, Flip = false, ColorJitter = jittered.ColorJitter,
        };
        using var greyBatch = batch.narrow(1, 0, 1).contiguous();
        using var greyJitter = new Augmentation(grey, 16, CPU);
        using var g = greyJitter.Train(greyBatch, new Random(1));
        Assert.Equal([8L, 1, 16, 16], g.shape);
    }

    private static Tensor GreyImages(int count, int side, int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        return randint(0, 256, [count, 1, side, side], generator: generator).to(ScalarType.Byte);
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
