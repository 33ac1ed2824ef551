package api

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil"
)

// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) as
// Kafka 2.8's ZkAdminManager serves them: credentials are entries of the
// user's entity config, /config/users/<sanitized user>, keyed by mechanism
// name (SCRAM-SHA-256, SCRAM-SHA-512) with ScramCredentialUtils' string
// form; every change writes the znode (keeping any other key, such as
// quotas) and a /config/changes notification for users/<sanitized user>.
// Alterations need the controller (NOT_CONTROLLER otherwise); describing
// works on any broker. SASL_PLAINTEXT listeners authenticate SCRAM clients
// against these credentials (core/security).

const (
	usernameMustNotBeEmpty    = "Username must not be empty"
	describeUserDoesNotExist  = "Attempt to describe a user credential that does not exist"
	unknownScramMechanismMsg  = "Unknown SCRAM mechanism"
	tooFewIterationsMsg       = "Too few iterations"
	tooManyIterationsMsg      = "Too many iterations"
	credentialAlteredTwiceMsg = "A user credential cannot be altered twice in the same request"
	deleteUserDoesNotExist    = "Attempt to delete a user credential that does not exist"
)

func strp(s string) *string { return &s }

func (a *KafkaApis) handleDescribeUserScramCredentials(req *kmsg.DescribeUserSCRAMCredentialsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	resp.Results = []kmsg.DescribeUserSCRAMCredentialsResponseResult{}
	unexpected := kerr.UnknownServerError

	// describe builds the result for one user from its config; ok is false
	// when the user has no SCRAM credential.
	describe := func(user string, cfg map[string]string) (kmsg.DescribeUserSCRAMCredentialsResponseResult, bool) {
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = user
		r.CredentialInfos = []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{}
		found := false
		for _, t := range zkutil.ScramMechanismTypes {
			v, ok := cfg[zkutil.ScramMechanismName(t)]
			if !ok {
				continue
			}
			found = true
			cred, err := zkutil.ParseScramCredential(v)
			if err != nil { // bad data in ZooKeeper
				a.log.Errorf("Error processing describe user SCRAM credential configs request: %v", err)
				r.CredentialInfos = []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{}
				r.ErrorCode, r.ErrorMessage = unexpected.Code, strp(unexpected.Description)
				return r, true
			}
			ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
			ci.Mechanism, ci.Iterations = t, cred.Iterations
			r.CredentialInfos = append(r.CredentialInfos, ci)
		}
		return r, found
	}

	if len(req.Users) == 0 { // null or empty: every user with credentials, sorted
		names, err := a.zk.GetAllEntitiesWithConfig(zkutil.ConfigTypeUser)
		var results []kmsg.DescribeUserSCRAMCredentialsResponseResult
		for _, n := range names {
			if err != nil {
				break
			}
			var cfg map[string]string
			if cfg, err = a.zk.GetEntityConfig(zkutil.ConfigTypeUser, n); err == nil {
				if r, ok := describe(zkutil.DesanitizeEntityName(n), cfg); ok {
					results = append(results, r)
				}
			}
		}
		if err != nil {
			a.log.Errorf("Error processing describe user SCRAM credential configs request: %v", err)
			resp.ErrorCode, resp.ErrorMessage = unexpected.Code, strp(unexpected.Description)
			return resp
		}
		sort.Slice(results, func(i, j int) bool { return results[i].User < results[j].User })
		resp.Results = append(resp.Results, results...)
		return resp
	}

	count := map[string]int{}
	for _, u := range req.Users {
		count[u.Name]++
	}
	seen := map[string]bool{}
	for _, u := range req.Users {
		user := u.Name
		if seen[user] { // one result per distinct user, in request order
			continue
		}
		seen[user] = true
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = user
		r.CredentialInfos = []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{}
		switch {
		case user == "":
			r.ErrorCode, r.ErrorMessage = kerr.ResourceNotFound.Code, strp(usernameMustNotBeEmpty)
		case count[user] > 1:
			r.ErrorCode = kerr.DuplicateResource.Code
			r.ErrorMessage = strp("Cannot describe SCRAM credentials for the same user twice in a single request: " + user)
		default:
			cfg, err := a.zk.GetEntityConfig(zkutil.ConfigTypeUser, zkutil.SanitizeEntityName(user))
			if err != nil {
				a.log.Errorf("Error processing describe user SCRAM credential configs request: %v", err)
				r.ErrorCode, r.ErrorMessage = unexpected.Code, strp(unexpected.Description)
				break
			}
			if d, ok := describe(user, cfg); ok {
				r = d
			} else {
				r.ErrorCode = kerr.ResourceNotFound.Code
				r.ErrorMessage = strp(describeUserDoesNotExist + ": " + user)
			}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}

type scramAlteration struct {
	user      string
	mechanism int8
	upsert    *kmsg.AlterUserSCRAMCredentialsRequestUpsertion // nil: a deletion
}

func (a *KafkaApis) handleAlterUserScramCredentials(req *kmsg.AlterUserSCRAMCredentialsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	resp.Results = []kmsg.AlterUserSCRAMCredentialsResponseResult{}
	add := func(user string, e *kerr.Error, msg *string) {
		r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		r.User = user
		if e != nil {
			r.ErrorCode, r.ErrorMessage = e.Code, msg
		}
		resp.Results = append(resp.Results, r)
	}
	// failAll answers every user of the request with one error, sorted
	// (AlterUserScramCredentialsRequest.getErrorResponse).
	failAll := func(e *kerr.Error) kmsg.Response {
		resp.Results = resp.Results[:0]
		users := map[string]bool{}
		for _, d := range req.Deletions {
			users[d.Name] = true
		}
		for _, u := range req.Upsertions {
			users[u.Name] = true
		}
		for _, u := range sortedSet(users) {
			add(u, e, strp(e.Description))
		}
		return resp
	}
	if a.controller == nil || !a.controller.IsActive() {
		return failAll(kerr.NotController)
	}

	// 1. Illegal requests: empty user, unknown mechanism, iterations out of
	// bounds. An upsertion's reason wins over a deletion's for one user.
	illegal := map[string]string{}
	for _, d := range req.Deletions {
		switch {
		case d.Name == "":
			illegal[d.Name] = usernameMustNotBeEmpty
		case zkutil.ScramMechanismName(d.Mechanism) == "":
			illegal[d.Name] = unknownScramMechanismMsg
		}
	}
	for _, u := range req.Upsertions {
		switch {
		case u.Name == "":
			illegal[u.Name] = usernameMustNotBeEmpty
		case zkutil.ScramMechanismName(u.Mechanism) == "":
			illegal[u.Name] = unknownScramMechanismMsg
		case u.Iterations < zkutil.ScramMinIterations:
			illegal[u.Name] = tooFewIterationsMsg
		case u.Iterations > zkutil.ScramMaxIterations:
			illegal[u.Name] = tooManyIterationsMsg
		}
	}
	for _, user := range sortedKeysOf(illegal) {
		e := kerr.UnacceptableCredential
		if illegal[user] == unknownScramMechanismMsg {
			e = kerr.UnsupportedSaslMechanism
		}
		add(user, e, strp(illegal[user]))
	}

	// 2. The same user and mechanism twice (upsert or delete) fails the user.
	var alts []scramAlteration
	for _, d := range req.Deletions {
		if _, bad := illegal[d.Name]; !bad {
			alts = append(alts, scramAlteration{user: d.Name, mechanism: d.Mechanism})
		}
	}
	for i := range req.Upsertions {
		u := &req.Upsertions[i]
		if _, bad := illegal[u.Name]; !bad {
			alts = append(alts, scramAlteration{user: u.Name, mechanism: u.Mechanism, upsert: u})
		}
	}
	type pair struct {
		user string
		mech int8
	}
	pairs := map[pair]int{}
	for _, x := range alts {
		pairs[pair{x.user, x.mechanism}]++
	}
	dup := map[string]bool{}
	for p, n := range pairs {
		if n > 1 {
			dup[p.user] = true
		}
	}
	for _, user := range sortedSet(dup) {
		add(user, kerr.DuplicateResource, strp(credentialAlteredTwiceMsg))
	}
	byUser := map[string][]scramAlteration{}
	for _, x := range alts {
		if !dup[x.user] {
			byUser[x.user] = append(byUser[x.user], x)
		}
	}

	// 3. Deleting a credential the user does not have fails the user.
	configs := map[string]map[string]string{}
	for user := range byUser {
		cfg, err := a.zk.GetEntityConfig(zkutil.ConfigTypeUser, zkutil.SanitizeEntityName(user))
		if err != nil {
			a.log.Errorf("Error encountered while altering user SCRAM credentials: %v", err)
			return failAll(kerr.UnknownServerError)
		}
		configs[user] = cfg
	}
	missing := map[string]bool{}
	for user, xs := range byUser {
		for _, x := range xs {
			if x.upsert == nil {
				if _, ok := configs[user][zkutil.ScramMechanismName(x.mechanism)]; !ok {
					missing[user] = true
				}
			}
		}
	}
	for _, user := range sortedSet(missing) {
		add(user, kerr.ResourceNotFound, strp(deleteUserDoesNotExist))
		delete(byUser, user)
	}

	// 4. Apply deletions then upsertions to each remaining user's config.
	var failed, succeeded []string
	for _, user := range sortedKeysOf(byUser) {
		xs := byUser[user]
		err := a.zk.UpdateEntityConfigAtomically(zkutil.ConfigTypeUser, zkutil.SanitizeEntityName(user), func(cfg map[string]string) error {
			for _, x := range xs {
				if x.upsert == nil {
					delete(cfg, zkutil.ScramMechanismName(x.mechanism))
				}
			}
			for _, x := range xs {
				if u := x.upsert; u != nil {
					mech := zkutil.ScramMechanismName(u.Mechanism)
					cred, err := zkutil.GenerateScramCredential(mech, u.Salt, u.SaltedPassword, u.Iterations)
					if err != nil {
						return err
					}
					cfg[mech] = cred.String()
				}
			}
			return nil
		})
		if err != nil {
			a.log.Infof("Error encountered while altering user SCRAM credentials for %s: %v", user, err)
			failed = append(failed, user)
			continue
		}
		succeeded = append(succeeded, user)
	}
	for _, user := range failed {
		add(user, kerr.UnknownServerError, strp(kerr.UnknownServerError.Description))
	}
	for _, user := range succeeded {
		add(user, nil, nil)
	}
	return resp
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
