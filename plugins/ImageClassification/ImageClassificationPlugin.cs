using SemiNas.Contracts;

namespace SemiNas.ImageClassification;

/// <summary>The entry point the host finds. Also adds <c>seminas image bench|make-cifar</c>.</summary>
public sealed class ImageClassificationPlugin : TaskPlugin<ImageClassificationOptions>, IPluginCommands
{
    public override string Name => "image-classification";

    public override string Description =>
        "Image classification: the SemiNAS ImageNet chain space (MobileNetV2/ProxylessNAS MBConv layers) with exact FLOPs, " +
        "candidates trained for real (weight-sharing supernet or standalone) on ImageNet-style folders, CIFAR-10 or generated images.";

    public IReadOnlyList<PluginCommand> Commands { get; } = [ImageCommands.Command];

    protected override ISearchTask CreateTask(ImageClassificationOptions options, TaskCreationContext context) =>
        new ImageClassificationTask(options, context);
}
