<?xml version="1.0" encoding="UTF-8"?>
<!-- The OSCAL report (docs/report.md): the XML report (templates/report.xsd) as an OSCAL 1.0.4
     assessment-results document. One result: the verification of the ceremony; one observation per
     record (what the evidence shows, when, signed by whom); one finding per finding of the verifier,
     and one for the verdict. UUIDs are derived from the evidence's own hashes, so the same evidence
     gives the same document. The parameter "generated" is the time the report was made. -->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="urn:ceremony:report:1"
                xmlns="http://csrc.nist.gov/ns/oscal/1.0"
                exclude-result-prefixes="r">
  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>
  <xsl:param name="generated" select="'1970-01-01T00:00:00Z'"/>

  <!-- A name-based UUID (version 5 layout) from 32 hex digits of a hash. -->
  <xsl:template name="uuid">
    <xsl:param name="hex"/>
    <!-- Zeros complete a hash the report lacks (evidence without a genesis record), so the result
         still has the shape the schema requires. -->
    <xsl:variable name="h" select="concat($hex, '00000000000000000000000000000000')"/>
    <xsl:value-of select="concat(substring($h, 1, 8), '-', substring($h, 9, 4), '-5', substring($h, 14, 3), '-8',
                                 substring($h, 18, 3), '-', substring($h, 21, 12))"/>
  </xsl:template>

  <xsl:template match="/r:report">
    <xsl:variable name="last" select="r:last-record-hash/@hex"/>
    <assessment-results>
      <!-- Each identifier from a different half of a hash: the last record's first half is its own
           observation's. -->
      <xsl:attribute name="uuid"><xsl:call-template name="uuid"><xsl:with-param name="hex" select="substring(r:ceremony/r:scenario-sha256/@hex, 33, 32)"/></xsl:call-template></xsl:attribute>
      <metadata>
        <title>Key ceremony <xsl:value-of select="r:ceremony/@id"/>: verification of its evidence</title>
        <last-modified><xsl:value-of select="$generated"/></last-modified>
        <version><xsl:value-of select="r:verifier/@version"/></version>
        <oscal-version>1.0.4</oscal-version>
        <prop name="verifier-build" value="{r:verifier/@build}" ns="urn:ceremony:report:1"/>
      </metadata>
      <import-ap href="#ceremony-scenario-{r:ceremony/r:scenario-sha256/@hex}"/>
      <result>
        <xsl:attribute name="uuid"><xsl:call-template name="uuid"><xsl:with-param name="hex" select="substring($last, 33, 32)"/></xsl:call-template></xsl:attribute>
        <title>Verification of ceremony <xsl:value-of select="r:ceremony/@id"/>: <xsl:value-of select="r:verdict/@result"/></title>
        <description>
          <p>The evidence repository of key ceremony <xsl:value-of select="r:ceremony/@id"/> was verified by ceremony <xsl:value-of select="r:verifier/@version"/>
            (build <xsl:value-of select="r:verifier/@build"/>): <xsl:value-of select="r:summary/@records"/> records in <xsl:value-of select="r:summary/@sessions"/> session(s),
            <xsl:value-of select="r:summary/@signatures-checked"/> signatures checked, the script replayed against the <xsl:value-of select="r:summary/@scenario-source"/> scenario.
            Verdict: <xsl:value-of select="r:verdict/@result"/>. Last record hash: <xsl:value-of select="$last"/> (<xsl:value-of select="r:last-record-hash/@words"/>).</p>
        </description>
        <start><xsl:value-of select="r:records/r:record[1]/@time"/><xsl:if test="not(r:records/r:record)"><xsl:value-of select="$generated"/></xsl:if></start>
        <xsl:if test="r:records/r:record[@type = 'close']"><end><xsl:value-of select="r:records/r:record[@type = 'close']/@time"/></end></xsl:if>
        <prop name="verdict" value="{r:verdict/@result}" ns="urn:ceremony:report:1"/>
        <xsl:if test="r:ceremony">
          <prop name="scenario-sha256" value="{r:ceremony/r:scenario-sha256/@hex}" ns="urn:ceremony:report:1"/>
        </xsl:if>
        <prop name="last-record-sha256" value="{$last}" ns="urn:ceremony:report:1"/>
        <reviewed-controls>
          <control-selection>
            <include-all/>
          </control-selection>
        </reviewed-controls>
        <xsl:for-each select="r:records/r:record">
          <observation>
            <xsl:attribute name="uuid"><xsl:call-template name="uuid"><xsl:with-param name="hex" select="@sha256"/></xsl:call-template></xsl:attribute>
            <title>Record <xsl:value-of select="@sequence"/>: <xsl:value-of select="@type"/><xsl:text> </xsl:text><xsl:value-of select="@step"/></title>
            <description>
              <p>Session <xsl:value-of select="@session"/>, actor <xsl:value-of select="@actor"/>, signed off by
                <xsl:for-each select="r:signoff"><xsl:value-of select="@participant"/><xsl:if test="position() != last()">, </xsl:if></xsl:for-each>;
                commit <xsl:value-of select="@commit"/>, record SHA-256 <xsl:value-of select="@sha256"/>.
                <xsl:for-each select="r:vault-operation"> Vault <xsl:value-of select="@op"/><xsl:text> </xsl:text><xsl:value-of select="@label"/> (<xsl:value-of select="@outcome"/>, vault log line <xsl:value-of select="@log-seq"/><xsl:if test="@fingerprint">, key fingerprint <xsl:value-of select="@fingerprint"/></xsl:if>).</xsl:for-each>
                <xsl:for-each select="r:incident"> Incident (<xsl:value-of select="@kind"/>): <xsl:value-of select="r:happened"/>.</xsl:for-each></p>
            </description>
            <method>EXAMINE</method>
            <collected><xsl:value-of select="@time"/></collected>
          </observation>
        </xsl:for-each>
        <finding>
          <xsl:attribute name="uuid"><xsl:call-template name="uuid"><xsl:with-param name="hex" select="r:ceremony/r:scenario-sha256/@hex"/></xsl:call-template></xsl:attribute>
          <title>Verdict: <xsl:value-of select="r:verdict/@result"/></title>
          <description><p><xsl:value-of select="r:findings/@count"/> finding(s); exit code <xsl:value-of select="r:verdict/@exit"/>.</p></description>
          <target type="objective-id" target-id="ceremony-evidence">
            <status>
              <xsl:attribute name="state"><xsl:choose><xsl:when test="r:verdict/@result = 'VERIFIED'">satisfied</xsl:when><xsl:otherwise>not-satisfied</xsl:otherwise></xsl:choose></xsl:attribute>
            </status>
          </target>
        </finding>
        <xsl:for-each select="r:findings/r:finding">
          <finding uuid="{concat('00000000-0000-4000-8000-', format-number(position(), '000000000000'))}">
            <title><xsl:value-of select="@code"/></title>
            <description><p><xsl:if test="@record">Record <xsl:value-of select="@record"/>: </xsl:if><xsl:value-of select="."/></p></description>
            <prop name="finding-code" value="{@code}" ns="urn:ceremony:report:1"/>
            <target type="objective-id" target-id="ceremony-evidence">
              <status state="not-satisfied"/>
            </target>
          </finding>
        </xsl:for-each>
      </result>
    </assessment-results>
  </xsl:template>
</xsl:stylesheet>
