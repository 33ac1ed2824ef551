package tools

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/security/authorizer"
	"github.com/gokafka/kafka/zkutil"
)

// kafka-acls.sh (Kafka 2.8 AclCommand, --bootstrap-server only): add,
// remove and list ACLs through CreateAcls / DeleteAcls / DescribeAcls,
// printed as AclCommand prints them.

const aclsHelp = "This tool helps to manage acls on kafka."

func aclsParser() *optionParser {
	p := newOptionParser()
	p.withArg("bootstrap-server", "A list of host/port pairs to use for establishing the connection to the Kafka cluster. This list should be in the form host1:port1,host2:port2,... This config is required for acl management using admin client API.").describedAs("server to connect to")
	p.withArg("command-config", "A property file containing configs to be passed to Admin Client.").describedAs("command-config")
	p.flag("add", "Indicates you are trying to add ACLs.")
	p.flag("remove", "Indicates you are trying to remove ACLs.")
	p.flag("list", "List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.")
	p.withArg("topic", "topic to which ACLs should be added or removed. A value of * indicates ACL should apply to all topics.").describedAs("topic")
	p.withArg("group", "Consumer Group to which the ACLs should be added or removed. A value of * indicates the ACLs should apply to all groups.").describedAs("group")
	p.flag("cluster", "Add/Remove cluster ACLs.")
	p.withArg("transactional-id", "The transactionalId to which ACLs should be added or removed. A value of * indicates the ACLs should apply to all transactionalIds.").describedAs("transactional-id")
	p.withArg("delegation-token", "Delegation token to which ACLs should be added or removed. A value of * indicates ACL should apply to all tokens.").describedAs("delegation-token")
	p.withArg("resource-pattern-type", "The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. 'literal' or 'prefixed'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of 'any' or 'match', where 'any' will match any pattern type, but will match the resource name exactly, where as 'match' will perform pattern matching to list or remove all acls that affect the supplied resource(s). WARNING: 'match', when used in combination with the '--remove' switch, should be used with care.").describedAs("ANY|MATCH|LITERAL|PREFIXED").withDefault("LITERAL")
	p.withArg("operation", "Operation that is being allowed or denied. Valid operation names are: \n\tDescribe\n\tDescribeConfigs\n\tAlter\n\tIdempotentWrite\n\tRead\n\tDelete\n\tCreate\n\tClusterAction\n\tAll\n\tWrite\n\tAlterConfigs\n").describedAs("operation").withDefault("All")
	p.withArg("allow-principal", "principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:* is the wild card indicating all users.").describedAs("allow-principal")
	p.withArg("deny-principal", "principal is in principalType:name format. By default anyone not added through --allow-principal is denied access. You only need to use this option as negation to already allowed set. Note that principalType must be supported by the Authorizer being used. For example if you wanted to allow access to all users in the system but not test-user you can define an ACL that allows access to User:* and specify --deny-principal=User:test@EXAMPLE.COM. AND PLEASE REMEMBER DENY RULES TAKES PRECEDENCE OVER ALLOW RULES.").describedAs("deny-principal")
	p.withArg("principal", "List ACLs for the specified principal. principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. Multiple --principal option can be passed.").describedAs("principal")
	p.withArg("allow-host", "Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to * which allows access from all hosts.").describedAs("allow-host")
	p.withArg("deny-host", "Host from which principals listed in --deny-principal will be denied access. If you have specified --deny-principal then the default for this option will be set to * which denies access from all hosts.").describedAs("deny-host")
	p.flag("producer", "Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE,DESCRIBE and CREATE on topic.")
	p.flag("consumer", "Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ,DESCRIBE on topic and READ on group.")
	p.flag("idempotent", "Enable idempotence for the producer. This should be used in combination with the --producer option. Note that idempotence is enabled automatically if the producer is authorized to a particular transactional-id.")
	p.flag("force", "Assume Yes to all queries and do not prompt.")
	p.flag("help", "Print usage information.")
	return p
}

type aclsCmd struct {
	e   *env
	o   *optionSet
	cl  *kgo.Client
	pat int8
}

func runAcls(e *env, args []string) int {
	return runGuarded(func() int {
		p := aclsParser()
		o, err := p.parse(args)
		if err != nil {
			e.javaException(joptClass(err), err.Error())
		}
		e.printHelpAndExitIfNeeded(p, o, aclsHelp)
		actions := 0
		for _, a := range []string{"add", "remove", "list"} {
			if o.has(a) {
				actions++
			}
		}
		if actions != 1 {
			e.printUsageAndDie(p, "Command must include exactly one action: --list, --add, --remove. ")
		}
		if !o.has("bootstrap-server") {
			e.printUsageAndDie(p, "Missing required argument \"[bootstrap-server]\"")
		}
		pat, ok := zkutil.ParsePatternType(o.valueOf("resource-pattern-type"))
		if !ok || pat == zkutil.PatternUnknown {
			e.printUsageAndDie(p, "Unknown resource-pattern-type: "+o.valueOf("resource-pattern-type"))
		}
		if (o.has("add") || o.has("remove")) && !o.has("list") && (pat == zkutil.PatternAny || pat == zkutil.PatternMatch) && o.has("add") {
			e.printUsageAndDie(p, "A '--resource-pattern-type' value of '"+o.valueOf("resource-pattern-type")+"' is not valid when adding acls.")
		}
		props := map[string]string{}
		if o.has("command-config") {
			if props, err = loadProps(o.valueOf("command-config")); err != nil {
				e.javaException("java.nio.file.NoSuchFileException", o.valueOf("command-config"))
			}
		}
		props["bootstrap.servers"] = o.valueOf("bootstrap-server")
		cl, _, err := newAdminClient(e, props)
		if err != nil {
			e.javaException(javaClassOf(err), err.Error())
		}
		defer cl.Close()
		c := &aclsCmd{e: e, o: o, cl: cl, pat: pat}
		switch {
		case o.has("add"):
			c.add()
		case o.has("remove"):
			c.remove()
		default:
			c.list()
		}
		return 0
	})
}

// resources are the patterns named by --topic/--group/--cluster/...
func (c *aclsCmd) resources() []zkutil.ResourcePattern {
	var out []zkutil.ResourcePattern
	add := func(t int8, names []string) {
		for _, n := range names {
			out = append(out, zkutil.ResourcePattern{ResourceType: t, Name: n, PatternType: c.pat})
		}
	}
	add(zkutil.ResourceTopic, c.o.valuesOf("topic"))
	add(zkutil.ResourceGroup, c.o.valuesOf("group"))
	add(zkutil.ResourceTransactionalID, c.o.valuesOf("transactional-id"))
	add(zkutil.ResourceDelegationToken, c.o.valuesOf("delegation-token"))
	if c.o.has("cluster") {
		add(zkutil.ResourceCluster, []string{zkutil.ClusterResourceName})
	}
	return out
}

func (c *aclsCmd) operations() []int8 {
	var ops []int8
	for _, s := range c.o.valuesOf("operation") {
		op, ok := zkutil.ParseOperation(s)
		if !ok || op == zkutil.OpUnknown || op == zkutil.OpAny {
			c.e.javaException("java.lang.IllegalArgumentException", "Unknown operation: "+s)
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		ops = []int8{zkutil.OpAll}
	}
	return ops
}

// entries builds the ACLs of --allow/--deny-principal × hosts × operations.
func (c *aclsCmd) entries(ops []int8) []zkutil.AclEntry {
	var out []zkutil.AclEntry
	for _, side := range []struct {
		perm            int8
		principal, host string
	}{{zkutil.PermAllow, "allow-principal", "allow-host"}, {zkutil.PermDeny, "deny-principal", "deny-host"}} {
		hosts := c.o.valuesOf(side.host)
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		for _, p := range c.o.valuesOf(side.principal) {
			if !strings.Contains(p, ":") {
				c.e.javaException("java.lang.IllegalArgumentException", "expected a string in format principalType:principalName but got "+p)
			}
			for _, h := range hosts {
				for _, op := range ops {
					out = append(out, zkutil.AclEntry{Principal: p, Host: h, Operation: op, Permission: side.perm})
				}
			}
		}
	}
	return out
}

// resourceAcls pairs each resource with its ACLs, honouring --producer and --consumer.
func (c *aclsCmd) resourceAcls() ([]zkutil.ResourcePattern, map[zkutil.ResourcePattern][]zkutil.AclEntry) {
	res := c.resources()
	m := map[zkutil.ResourcePattern][]zkutil.AclEntry{}
	if c.o.has("producer") || c.o.has("consumer") {
		for _, r := range res {
			var ops []int8
			switch {
			case r.ResourceType == zkutil.ResourceTopic && c.o.has("producer"):
				ops = append(ops, zkutil.OpWrite, zkutil.OpDescribe, zkutil.OpCreate)
			case r.ResourceType == zkutil.ResourceTransactionalID && c.o.has("producer"):
				ops = append(ops, zkutil.OpWrite, zkutil.OpDescribe)
			}
			if c.o.has("consumer") {
				switch r.ResourceType {
				case zkutil.ResourceTopic:
					ops = append(ops, zkutil.OpRead, zkutil.OpDescribe)
				case zkutil.ResourceGroup:
					ops = append(ops, zkutil.OpRead)
				}
			}
			if len(ops) > 0 {
				m[r] = c.entries(ops)
			}
		}
		if c.o.has("producer") && c.o.has("idempotent") {
			cr := zkutil.ResourcePattern{ResourceType: zkutil.ResourceCluster, Name: zkutil.ClusterResourceName, PatternType: zkutil.PatternLiteral}
			res = append(res, cr)
			m[cr] = c.entries([]int8{zkutil.OpIdempotentWrite})
		}
		var kept []zkutil.ResourcePattern
		for _, r := range res {
			if _, ok := m[r]; ok {
				kept = append(kept, r)
			}
		}
		return kept, m
	}
	ops := c.operations()
	for _, r := range res {
		m[r] = c.entries(ops)
	}
	return res, m
}

func printAclBlock(e *env, header string, r zkutil.ResourcePattern, acls []zkutil.AclEntry) {
	lines := make([]string, len(acls))
	for i, a := range acls {
		lines[i] = "\t" + authorizer.EntryString(a)
	}
	fmt.Fprintf(e.stdout, "%s `%s`: \n %s \n\n", header, authorizer.AclResourceString(r), strings.Join(lines, "\n"))
}

func (c *aclsCmd) add() {
	res, m := c.resourceAcls()
	if len(res) == 0 {
		c.e.javaException("java.lang.IllegalArgumentException", "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>")
	}
	for _, r := range res {
		acls := m[r]
		if len(acls) == 0 {
			c.e.javaException("java.lang.IllegalArgumentException", "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
		}
		printAclBlock(c.e, "Adding ACLs for resource", r, acls)
		req := kmsg.NewPtrCreateACLsRequest()
		for _, a := range acls {
			cr := kmsg.NewCreateACLsRequestCreation()
			cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = kmsg.ACLResourceType(r.ResourceType), r.Name, kmsg.ACLResourcePatternType(r.PatternType)
			cr.Principal, cr.Host = a.Principal, a.Host
			cr.Operation, cr.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.Permission)
			req.Creations = append(req.Creations, cr)
		}
		ctx, cancel := withTimeout(adminTimeout)
		raw, err := adminRequest(ctx, c.cl, "createAcls", req)
		cancel()
		if err != nil {
			c.e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
		}
		for _, res := range raw.(*kmsg.CreateACLsResponse).Results {
			if err := brokerError(res.ErrorCode, res.ErrorMessage); err != nil {
				fmt.Fprintf(c.e.stderr, "Error while adding ACLs: %s\n", javaMessage(err))
				exit(1)
			}
		}
	}
	c.list()
}

func (c *aclsCmd) confirm(msg string) bool {
	if c.o.has("force") {
		return true
	}
	fmt.Fprintln(c.e.stdout, msg)
	line, _ := bufio.NewReader(c.e.stdin).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y")
}

func (c *aclsCmd) remove() {
	res, m := c.resourceAcls()
	if len(res) == 0 {
		c.e.javaException("java.lang.IllegalArgumentException", "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>")
	}
	for _, r := range res {
		filter := fmt.Sprintf("ResourcePatternFilter(resourceType=%s, name=%s, patternType=%s)",
			zkutil.ResourceTypeName(r.ResourceType), r.Name, zkutil.PatternTypeName(r.PatternType))
		acls := m[r]
		req := kmsg.NewPtrDeleteACLsRequest()
		if len(acls) == 0 {
			if !c.confirm(fmt.Sprintf("Are you sure you want to delete all ACLs for resource filter `%s`? (y/n)", filter)) {
				continue
			}
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceType(r.ResourceType), kmsg.StringPtr(r.Name), kmsg.ACLResourcePatternType(r.PatternType)
			f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
			req.Filters = append(req.Filters, f)
		} else {
			lines := make([]string, len(acls))
			for i, a := range acls {
				lines[i] = "\t" + authorizer.EntryString(a)
			}
			if !c.confirm(fmt.Sprintf("Are you sure you want to remove ACLs: \n %s \n from resource filter `%s`? (y/n)", strings.Join(lines, "\n"), filter)) {
				continue
			}
			for _, a := range acls {
				f := kmsg.NewDeleteACLsRequestFilter()
				f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceType(r.ResourceType), kmsg.StringPtr(r.Name), kmsg.ACLResourcePatternType(r.PatternType)
				f.Principal, f.Host = kmsg.StringPtr(a.Principal), kmsg.StringPtr(a.Host)
				f.Operation, f.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.Permission)
				req.Filters = append(req.Filters, f)
			}
		}
		ctx, cancel := withTimeout(adminTimeout)
		raw, err := adminRequest(ctx, c.cl, "deleteAcls", req)
		cancel()
		if err != nil {
			c.e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
		}
		for _, res := range raw.(*kmsg.DeleteACLsResponse).Results {
			if err := brokerError(res.ErrorCode, res.ErrorMessage); err != nil {
				fmt.Fprintf(c.e.stderr, "Error while removing ACLs: %s\n", javaMessage(err))
				exit(1)
			}
		}
	}
	c.list()
}

// list prints "Current ACLs for resource ..." for the named resources
// (every ACL without one), optionally only those of --principal.
func (c *aclsCmd) list() {
	pat := c.pat
	if c.o.has("list") && !c.o.has("resource-pattern-type") {
		pat = zkutil.PatternAny
	}
	var filters []*kmsg.DescribeACLsRequest
	for _, r := range c.resources() {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType, req.ResourceName, req.ResourcePatternType = kmsg.ACLResourceType(r.ResourceType), kmsg.StringPtr(r.Name), kmsg.ACLResourcePatternType(pat)
		req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		filters = append(filters, req)
	}
	if len(filters) == 0 {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
		req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		filters = append(filters, req)
	}
	principals := map[string]bool{}
	for _, p := range c.o.valuesOf("principal") {
		principals[p] = true
	}
	var order []zkutil.ResourcePattern
	byRes := map[zkutil.ResourcePattern][]zkutil.AclEntry{}
	for _, req := range filters {
		ctx, cancel := withTimeout(adminTimeout)
		raw, err := adminRequest(ctx, c.cl, "describeAcls", req)
		cancel()
		if err != nil {
			c.e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
		}
		resp := raw.(*kmsg.DescribeACLsResponse)
		if resp.ErrorCode != 0 {
			err := brokerError(resp.ErrorCode, resp.ErrorMessage)
			if resp.ErrorCode == kerr.SecurityDisabled.Code {
				c.e.javaException("java.util.concurrent.ExecutionException", "org.apache.kafka.common.errors.SecurityDisabledException: "+javaMessage(err))
			}
			c.e.javaException("java.util.concurrent.ExecutionException", javaClassOf(err)+": "+javaMessage(err))
		}
		for _, res := range resp.Resources {
			r := zkutil.ResourcePattern{ResourceType: int8(res.ResourceType), Name: res.ResourceName, PatternType: int8(res.ResourcePatternType)}
			for _, a := range res.ACLs {
				e := zkutil.AclEntry{Principal: a.Principal, Host: a.Host, Operation: int8(a.Operation), Permission: int8(a.PermissionType)}
				if len(principals) > 0 && !principals[e.Principal] {
					continue
				}
				if _, ok := byRes[r]; !ok {
					order = append(order, r)
				}
				byRes[r] = append(byRes[r], e)
			}
		}
	}
	if len(principals) > 0 {
		for _, p := range c.o.valuesOf("principal") {
			fmt.Fprintf(c.e.stdout, "ACLs for principal `%s`\n", p)
			for _, r := range order {
				var acls []zkutil.AclEntry
				for _, a := range byRes[r] {
					if a.Principal == p {
						acls = append(acls, a)
					}
				}
				if len(acls) > 0 {
					printAclBlock(c.e, "Current ACLs for resource", r, acls)
				}
			}
		}
		return
	}
	for _, r := range order {
		printAclBlock(c.e, "Current ACLs for resource", r, byRes[r])
	}
}
