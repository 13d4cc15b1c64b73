using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// One NAS-Bench-201 cell and everything the table knows about it. Property names follow the file's columns
/// (see Data/README.md); accuracies are in percent, params and FLOPs in millions.
/// </summary>
public sealed class NasBench201Row
{
    /// <summary>Official NAS-Bench-201 index (0..15624), also the row's position in the table. Column <c>index</c>.</summary>
    public required int Index { get; init; }

    /// <summary>The official architecture string, e.g. <c>|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|...|</c>. Column <c>arch_str</c>.</summary>
    public required string ArchStr { get; init; }

    /// <summary>
    /// The operation on each edge in string order 0→1, 0→2, 1→2, 0→3, 1→3, 2→3, as op digits 0..4
    /// (see <see cref="NasBench201Cell.OperationNames"/>). Column <c>ops</c>.
    /// </summary>
    public required IReadOnlyList<int> Ops { get; init; }

    /// <summary>Smallest index of the cell's isomorphism class (NATS-Bench <c>unique_str</c>). Column <c>iso_rep</c>.</summary>
    public required int IsoRep { get; init; }

    /// <summary>CIFAR-10 (cifar10-valid), 200 epochs, accuracy on the 25k training half. Column <c>c10v_train</c>.</summary>
    public required double C10vTrain { get; init; }

    /// <summary>CIFAR-10 (cifar10-valid), 200 epochs, accuracy on the 25k held-out half. Column <c>c10v_valid</c>.</summary>
    public required double C10vValid { get; init; }

    /// <summary>CIFAR-10 (cifar10-valid), 200 epochs, accuracy on the 10k test set. Column <c>c10v_test</c>.</summary>
    public required double C10vTest { get; init; }

    /// <summary>CIFAR-100, 200 epochs, training accuracy. Column <c>c100_train</c>.</summary>
    public required double C100Train { get; init; }

    /// <summary>CIFAR-100, 200 epochs, accuracy on x-valid (5k). Column <c>c100_valid</c>.</summary>
    public required double C100Valid { get; init; }

    /// <summary>CIFAR-100, 200 epochs, accuracy on x-test (5k). Column <c>c100_test</c>.</summary>
    public required double C100Test { get; init; }

    /// <summary>ImageNet16-120, 200 epochs, training accuracy. Column <c>in16_train</c>.</summary>
    public required double In16Train { get; init; }

    /// <summary>ImageNet16-120, 200 epochs, accuracy on x-valid (3k). Column <c>in16_valid</c>.</summary>
    public required double In16Valid { get; init; }

    /// <summary>ImageNet16-120, 200 epochs, accuracy on x-test (3k). Column <c>in16_test</c>.</summary>
    public required double In16Test { get; init; }

    /// <summary>
    /// CIFAR-10, 200 epochs, trained on train+valid, accuracy on the 10k test set: the number NB201 papers report
    /// as "CIFAR-10 test". Column <c>c10_test</c>.
    /// </summary>
    public required double C10Test { get; init; }

    /// <summary>NATS-Bench-tss value of <see cref="C10Test"/> (more seeds). Column <c>nats_c10_test</c>.</summary>
    public required double NatsC10Test { get; init; }

    /// <summary>NATS-Bench-tss value of <see cref="C100Test"/>. Column <c>nats_c100_test</c>.</summary>
    public required double NatsC100Test { get; init; }

    /// <summary>NATS-Bench-tss value of <see cref="In16Test"/>. Column <c>nats_in16_test</c>.</summary>
    public required double NatsIn16Test { get; init; }

    /// <summary>12-epoch schedule, cifar10-valid, held-out half. Column <c>e12_c10v_valid</c>.</summary>
    public required double E12C10vValid { get; init; }

    /// <summary>12-epoch schedule, CIFAR-10 trained on train+valid, test set. Column <c>e12_c10_test</c>.</summary>
    public required double E12C10Test { get; init; }

    /// <summary>12-epoch schedule, CIFAR-100 x-valid. Column <c>e12_c100_valid</c>.</summary>
    public required double E12C100Valid { get; init; }

    /// <summary>12-epoch schedule, CIFAR-100 x-test. Column <c>e12_c100_test</c>.</summary>
    public required double E12C100Test { get; init; }

    /// <summary>12-epoch schedule, ImageNet16-120 x-valid. Column <c>e12_in16_valid</c>.</summary>
    public required double E12In16Valid { get; init; }

    /// <summary>12-epoch schedule, ImageNet16-120 x-test. Column <c>e12_in16_test</c>.</summary>
    public required double E12In16Test { get; init; }

    /// <summary>Parameters in millions with the 10-class head. Column <c>params_M_c10</c>.</summary>
    public required double ParamsMC10 { get; init; }

    /// <summary>FLOPs in millions for a 32×32 input, 10-class head. Column <c>flops_M_c10</c>.</summary>
    public required double FlopsMC10 { get; init; }

    /// <summary>Parameters in millions with the 100-class head. Column <c>params_M_c100</c>.</summary>
    public required double ParamsMC100 { get; init; }

    /// <summary>FLOPs in millions for a 32×32 input, 100-class head. Column <c>flops_M_c100</c>.</summary>
    public required double FlopsMC100 { get; init; }

    /// <summary>Parameters in millions with the 120-class head. Column <c>params_M_in16</c>.</summary>
    public required double ParamsMIn16 { get; init; }

    /// <summary>FLOPs in millions for a 16×16 input, 120-class head. Column <c>flops_M_in16</c>.</summary>
    public required double FlopsMIn16 { get; init; }

    /// <summary>The cell as the search space encodes it: token = op digit + 1 (token 0 is the controller's start symbol).</summary>
    public Architecture ToArchitecture() => NasBench201Cell.ToArchitecture(Ops);

    public override string ToString() => $"#{Index} {ArchStr}";
}
