using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Optim;

/// <summary>
/// Moves a model's parameters, and their gradients, into one contiguous buffer each, leaving every parameter a view
/// of its slice: backward still writes each gradient into its slice, and an optimiser given <see cref="Parameter"/>
/// updates all of them in a handful of calls instead of several per tensor. For a small model the per-call overhead
/// is most of an optimiser step (the controller: about 25 tensors of a few thousand numbers).
/// The values are unchanged, and element-wise arithmetic is the same on the buffer as on its slices.
/// The model keeps the layout after this object is disposed; a later one simply moves it again.
/// </summary>
public sealed class FlatParameters : IDisposable
{
    public FlatParameters(IReadOnlyList<Parameter> parameters)
    {
        if (parameters.Count == 0) throw new ArgumentException("No parameters to flatten.", nameof(parameters));
        using var noGrad = torch.no_grad();
        // The new Parameter takes over the concatenated tensor itself.
        Parameter = new Parameter(torch.cat(parameters.Select(p => p.detach().reshape(-1)).ToList(), 0));
        using var gradients = torch.zeros_like(Parameter);
        Parameter.grad = gradients;
        long offset = 0;
        foreach (var parameter in parameters)
        {
            var count = parameter.numel();
            using (var slice = Parameter.narrow(0, offset, count).view(parameter.shape)) parameter.set_(slice);
            using (var slice = gradients.narrow(0, offset, count).view(parameter.shape)) parameter.grad = slice;
            offset += count;
        }
    }

    /// <summary>All the values in one tensor, with all the gradients as its gradient.</summary>
    public Parameter Parameter { get; }

    public void Dispose() => Parameter.Dispose();
}
