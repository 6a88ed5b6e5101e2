package dev.memorymodule.workers.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The scenarios of the suite, in the order a full run takes them. */
final class Scenarios {

    private static final List<Supplier<FaultScenario>> ALL = List.of(Kill9Scenario::new, NatsRestartScenario::new,
            PostgresOutageScenario::new, Neo4jOutageScenario::new, VectorErrorsScenario::new, SlowStoreScenario::new,
            SigtermScenario::new);

    private Scenarios() {
    }

    static List<String> names() {
        return ALL.stream().map(scenario -> scenario.get().name()).toList();
    }

    /** Fresh scenarios by name, in the order given; every name in the suite when none is given. */
    static List<FaultScenario> named(List<String> names) {
        if (names.isEmpty()) {
            return ALL.stream().map(Supplier::get).toList();
        }
        List<FaultScenario> chosen = new ArrayList<>();
        for (String name : names) {
            chosen.add(ALL.stream().map(Supplier::get).filter(scenario -> scenario.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no scenario '" + name + "'; there are "
                            + String.join(", ", names()))));
        }
        return chosen;
    }
}
