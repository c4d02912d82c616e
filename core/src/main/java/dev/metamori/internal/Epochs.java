package dev.metamori.internal;

import dev.metamori.Epoch;
import dev.metamori.NoSuchEpochException;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The store's epochs as the API shows them. */
final class Epochs {
  private Epochs() {}

  /** Every epoch of the store, oldest first. */
  static List<Epoch> list(Journal journal) throws IOException {
    List<Epoch> epochs = new ArrayList<>();
    for (EpochInfo e : journal.epochs()) {
      epochs.add(new Epoch(e.id(), e.parent(), Instant.ofEpochMilli(e.committedAtMillis()), e.bytes(),
          e.blocks(), e.files(), e.label()));
    }
    return List.copyOf(epochs);
  }

  /** The newest epoch of {@code all} labelled {@code label}. */
  static Epoch byLabel(List<Epoch> all, String label) throws NoSuchEpochException {
    for (int i = all.size() - 1; i >= 0; i--) {
      if (label.equals(all.get(i).label())) {
        return all.get(i);
      }
    }
    throw new NoSuchEpochException(label);
  }
}
