/**
 * Group checkpoints: several processes, each with its own {@link dev.metamori.Checkpointer},
 * take one consistent global checkpoint and roll back together, coordinated through Apache
 * ZooKeeper. See docs/group.md.
 */
package dev.metamori.group;
