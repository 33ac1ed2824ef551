package tools

func runProducerPerf(e *env, args []string) int { return 1 }
func runConsumerPerf(e *env, args []string) int { return 1 }
