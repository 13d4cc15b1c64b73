using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// Runs an LSTM through libtorch's training kernel even when no gradient is wanted. In libtorch 2.10
/// (TorchSharp-cpu 0.107.0) the oneDNN LSTM kernel that torch picks under no_grad returns wrong outputs for some
/// hidden sizes: on the build machine (AMD Zen 5) H = 4, 8, 16 and 48 were off by 0.2–0.9, while H = 24, 32, 64,
/// 96 and 128 were exact, for any batch, length and direction. The kernel used with grad enabled matched a
/// hand-written LSTM to 1e-7 in every case, and so did libtorch's non-oneDNN LSTM. The price is the autograd
/// bookkeeping of one forward, which the callers free right away.
/// </summary>
internal static class LstmCalls
{
    public static (Tensor Output, Tensor H, Tensor C) Run(LSTM lstm, Tensor input, (Tensor H, Tensor C)? state = null)
    {
        if (torch.is_grad_enabled()) return lstm.call(input, state);
        using var scope = torch.NewDisposeScope();
        using (torch.enable_grad())
        {
            var (output, h, c) = lstm.call(input, state);
            return (output.detach().MoveToOuterDisposeScope(), h.detach().MoveToOuterDisposeScope(), c.detach().MoveToOuterDisposeScope());
        }
    }
}
