namespace SemiNas.ImageClassification.Data;

/// <summary>Opens the data set the options name and carves the held-out split out of its training images.</summary>
internal static class DatasetLoader
{
    public static ImageData Load(DatasetOptions options, SpaceOptions space, string configDirectory)
    {
        IImageSet train, valid;
        IDisposable? owner = null;
        switch (options.Kind)
        {
            case DatasetKind.Synthetic:
            {
                // One generation, split afterwards, so that training and validation share the same class patterns.
                var all = SyntheticImages.Generate(options.SyntheticTrain + options.SyntheticValid, space.Classes,
                    options.SyntheticSize, options.SyntheticSeed);
                owner = all;
                train = new SubsetImageSet(all, [.. Enumerable.Range(0, options.SyntheticTrain)]);
                valid = new SubsetImageSet(all, [.. Enumerable.Range(options.SyntheticTrain, options.SyntheticValid)]);
                break;
            }
            case DatasetKind.Cifar10:
            {
                var (cifarTrain, cifarTest) = Cifar10Reader.ReadFolder(Resolve(options, configDirectory));
                owner = new Owners(cifarTrain, cifarTest);
                (train, valid) = (cifarTrain, cifarTest);
                break;
            }
            case DatasetKind.FashionMnist:
            case DatasetKind.Idx:
            {
                var folder = options.Kind == DatasetKind.FashionMnist && string.IsNullOrWhiteSpace(options.Path)
                    ? DatasetOptions.FashionMnistFolder
                    : Resolve(options, configDirectory);
                var (idxTrain, idxTest) = IdxReader.ReadFolder(folder, space.Classes);
                owner = new Owners(idxTrain, idxTest);
                (train, valid) = (idxTrain, idxTest);
                break;
            }
            case DatasetKind.Folder:
            {
                var root = Resolve(options, configDirectory);
                var classes = FolderImageSet.ClassNames(Path.Combine(root, "train"));
                if (classes.Count != space.Classes)
                    throw new InvalidDataException($"{Path.Combine(root, "train")} has {classes.Count} class folders but space.classes is {space.Classes}.");
                // The evaluation view: the shorter side resized to 256 for 224, the centre square kept (training crops are
                // cut from the whole image instead).
                var size = (int)Math.Round(space.Resolution / 0.875);
                train = FolderImageSet.Open(Path.Combine(root, "train"), classes, size, options.DecodeThreads);
                valid = FolderImageSet.Open(Path.Combine(root, "val"), classes, size, options.DecodeThreads);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown data set kind");
        }

        if (train.Classes != space.Classes)
            throw new InvalidDataException($"The data set has {train.Classes} classes but space.classes is {space.Classes}.");
        if (train.Channels != options.Channels)
            throw new InvalidDataException($"The data set's images have {train.Channels} channels, expected {options.Channels}.");

        // A permutation of the training images from dataset.splitSeed (not the experiment seed, so that every search on
        // this data set scores on the same held-out images): the first heldOut are held out, then the limit applies.
        // The validation (test) split is never part of it: only final scores use it.
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(options.SplitSeed).Shuffle(order);
        var heldOutCount = Math.Min(options.HeldOut, train.Count / 2);
        var rest = order.Skip(heldOutCount);
        if (options.TrainLimit > 0) rest = rest.Take(options.TrainLimit);
        var trainPart = new SubsetImageSet(train, [.. rest]);
        var heldOut = new SubsetImageSet(train, order[..heldOutCount]);
        var fullTrain = options.TrainLimit > 0 ? new SubsetImageSet(train, [.. order.Take(heldOutCount + options.TrainLimit)]) : train;
        if (options.ValidLimit > 0 && options.ValidLimit < valid.Count)
        {
            var validOrder = Enumerable.Range(0, valid.Count).ToArray();
            new Random(54321).Shuffle(validOrder);
            valid = new SubsetImageSet(valid, validOrder[..options.ValidLimit]);
        }
        return new ImageData(trainPart, heldOut, valid, owner) { FullTrain = fullTrain };
    }

    private static string Resolve(DatasetOptions options, string configDirectory) =>
        Path.GetFullPath(Path.Combine(configDirectory, options.Path ?? throw new InvalidOperationException("dataset.path is not set.")));

    private sealed class Owners(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }
}
