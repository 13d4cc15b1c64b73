using Microsoft.Extensions.Logging;
using SemiNas.Contracts;

namespace SemiNas.ImageClassification;

internal static class Logging
{
    public static void LogResumed(this ILogger logger, Architecture architecture, long step) =>
        logger.LogInformation("Resuming {Architecture} from its checkpoint at step {Step}.", architecture, step);

    public static void LogSupernetResumed(this ILogger logger, long step, int round) =>
        logger.LogInformation("Supernet: resumed at step {Step}, round {Round}.", step, round);

    public static void LogShortRound(this ILogger logger, int round, int candidates, int expected, long steps) =>
        logger.LogWarning("Supernet: round {Round} formed with {Candidates} of {Expected} candidates (no more arrived in time), " +
                          "trained for {Steps} steps; set execution.workers to at least the round's size so that the host hands out whole rounds.",
            round, candidates, expected, steps);

    public static void LogSupernetRound(this ILogger logger, int round, long steps, int pool) =>
        logger.LogInformation("Supernet: round {Round} trains {Steps} steps on a pool of {Pool} architectures.", round, steps, pool);
}
