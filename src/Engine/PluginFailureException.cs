namespace SemiNas.Engine;

/// <summary>A plugin hook threw: the message names the plugin and the hook; the original exception is inside.</summary>
public sealed class PluginFailureException(string message, Exception inner) : Exception(message, inner);
