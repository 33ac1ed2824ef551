// Package reqtopics helps build the per-topic lists of Kafka requests,
// which name each topic once with all its partitions under it.
package reqtopics

// Slot returns the position of topic in a request's topic list. The first
// time a topic is seen, add appends its entry and returns the position,
// which index then remembers.
func Slot(index map[string]int, topic string, add func() int) int {
	if i, ok := index[topic]; ok {
		return i
	}
	i := add()
	index[topic] = i
	return i
}
